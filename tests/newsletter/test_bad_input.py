"""Nasty input to the signup form: each gets a clear 4xx or the neutral answer, never a 500,
and no stored subscriber is changed by someone else's request."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from newsletter.models import Subscriber
from newsletter.views import NEUTRAL_ANSWER
from tests.articles.factories import TopicFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

NEUTRAL = "neutral"
REFUSED = 400

CASES = [
    # (what, posted data, expected answer, words the message must contain)
    ("empty", {"email": ""}, REFUSED, "enter your email"),
    ("blank", {"email": "   "}, REFUSED, "enter your email"),
    ("missing field", {}, REFUSED, "enter your email"),
    ("10,000 characters", {"email": "a" * 9988 + "@example.com"}, REFUSED, "too long"),
    (
        "longest address: 254",
        {"email": "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"},
        NEUTRAL,
        "",
    ),
    (
        "255 characters",
        {"email": "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"},
        REFUSED,
        "long",
    ),
    ("local part too long", {"email": "a" * 65 + "@example.com"}, REFUSED, "too long"),
    ("missing @", {"email": "reader.example.com"}, REFUSED, "needs an @"),
    ("two @", {"email": "a@b@example.com"}, REFUSED, "valid email"),
    ("no domain", {"email": "reader@"}, REFUSED, "valid email"),
    ("no dot in domain", {"email": "reader@localhost"}, REFUSED, "valid email"),
    ("IP literal", {"email": "reader@[127.0.0.1]"}, REFUSED, "valid email"),
    ("quoted local part", {"email": '"a b"@example.com'}, REFUSED, "valid email"),
    ("unicode local part", {"email": "jörg@example.com"}, REFUSED, "valid email"),
    ("IDN domain", {"email": "leser@bücher.de"}, NEUTRAL, ""),
    ("IDN domain in punycode", {"email": "leser2@xn--bcher-kva.de"}, NEUTRAL, ""),
    ("IDN label too long", {"email": "a@" + "ü" * 70 + ".de"}, REFUSED, "valid email"),
    ("IDN too long once in punycode", {"email": "a@" + ".".join(["ü" * 20] * 11) + ".de"}, REFUSED, ""),
    ("emoji domain", {"email": "a@😀.com"}, REFUSED, "valid email"),
    ("right-to-left override", {"email": "a\u202e@example.com"}, REFUSED, "valid email"),
    ("right-to-left override in the domain", {"email": "a@exa\u202emple.com"}, REFUSED, "domain"),
    ("left-to-right mark in the domain", {"email": "a@example\u200e.com"}, REFUSED, "domain"),
    ("zero-width joiner in the domain", {"email": "a@ex\u200dample.com"}, REFUSED, "domain"),
    ("HTML", {"email": "<b>x</b>@example.com"}, REFUSED, "valid email"),
    ("script", {"email": "<script>alert(1)</script>"}, REFUSED, "needs an @"),
    ("script with @", {"email": "<script>alert(1)</script>@example.com"}, REFUSED, "valid email"),
    ("SQL fragment", {"email": "x' OR '1'='1@example.com"}, REFUSED, "valid email"),
    ("SQL drop", {"email": "a@example.com'; DROP TABLE newsletter_subscriber;--"}, REFUSED, "valid email"),
    ("apostrophe is fine", {"email": "o'brien@example.com"}, NEUTRAL, ""),
    ("header injection CRLF", {"email": "a@example.com\r\nBcc: victim@example.org"}, REFUSED, "valid email"),
    ("header injection LF", {"email": "a@example.com\nBcc: victim@example.org"}, REFUSED, "valid email"),
    ("NUL", {"email": "a\x00@example.com"}, REFUSED, "null"),
    ("tab", {"email": "a\t@example.com"}, REFUSED, "valid email"),
    ("unknown topic", {"email": "t@example.com", "topic_choice": "chosen", "topics": "nope"}, REFUSED, "topics"),
    ("topic with NUL", {"email": "t@example.com", "topic_choice": "chosen", "topics": "a\x00"}, REFUSED, "topics"),
    ("topic choice nonsense", {"email": "t@example.com", "topic_choice": "<x>"}, REFUSED, "topics"),
    ("cadence nonsense", {"email": "t@example.com", "cadence": "hourly"}, REFUSED, "daily or a weekly"),
    ("source off-site", {"email": "s@example.com", "source": "https://evil.example/"}, NEUTRAL, ""),
    ("source huge", {"email": "s2@example.com", "source": "/" + "x" * 50_000}, NEUTRAL, ""),
    ("honeypot huge", {"email": "h@example.com", "website": "x" * 50_000}, NEUTRAL, ""),
]


@pytest.fixture
def bystanders():
    topic = TopicFactory(slug="markets")
    stored = [
        SubscriberFactory(email="ann@example.com", active=True, cadence="daily", topics=[topic]),
        SubscriberFactory(email="leser@xn--bcher-kva.de", status=Subscriber.Status.UNSUBSCRIBED),
    ]
    return {s.pk: snapshot(s) for s in stored}


def snapshot(subscriber: Subscriber) -> tuple:
    subscriber.refresh_from_db()
    fields = [f.attname for f in Subscriber._meta.concrete_fields if f.attname != "confirmation_sent_at"]
    return tuple(getattr(subscriber, name) for name in fields) + (tuple(subscriber.topics.values_list("pk")),)


@pytest.mark.parametrize(("what", "data", "expected", "words"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("json", [False, True], ids=["form", "json"])
def test_bad_input_table(what, data, expected, words, json, bystanders, django_capture_on_commit_callbacks):
    client = Client(raise_request_exception=False)
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/newsletter/subscribe/", data, **headers)
    if expected == NEUTRAL:
        assert response.status_code == (200 if json else 302), response.content[:300]
        if json:
            assert response.json()["message"] == NEUTRAL_ANSWER
    else:
        assert response.status_code == expected
        text = response.json()["message"] if json else response.content.decode()
        assert words.lower() in text.lower()
        if not json:
            assert "<script>alert" not in text  # what was typed comes back escaped
    assert {pk: snapshot(Subscriber.objects.get(pk=pk)) for pk in bystanders} == bystanders
    for message in mail.outbox:
        assert "\n" not in message.to[0] and "Bcc" not in str(message.message())


def test_same_address_in_another_case_changes_nothing(bystanders, django_capture_on_commit_callbacks):
    for spelling in ["ANN@EXAMPLE.COM", "Ann@Example.com", " ann@example.com "]:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post("/newsletter/subscribe/", {"email": spelling, "cadence": "weekly"})
        assert response.status_code == 302
    assert Subscriber.objects.count() == 2
    assert {pk: snapshot(Subscriber.objects.get(pk=pk)) for pk in bystanders} == bystanders
    assert mail.outbox == []  # active already


def test_idn_domain_matches_its_punycode_spelling(bystanders, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/newsletter/subscribe/", {"email": "LESER@bücher.de"})
    assert Subscriber.objects.count() == 2
    assert len(mail.outbox) == 1  # the unsubscribed address is offered a confirmation, and stays unsubscribed
    assert Subscriber.objects.get(email_normalized="leser@xn--bcher-kva.de").status == Subscriber.Status.UNSUBSCRIBED


def test_idn_address_is_mailed_at_its_punycode_domain(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/newsletter/subscribe/", {"email": "neu@bücher.de"})
    assert mail.outbox[0].message()["To"] == "neu@xn--bcher-kva.de"


@pytest.mark.parametrize("domain", ["exa\u202emple.com", "ex\u200dample.com", "b\u00fccher\u202c.de"])
def test_a_domain_without_an_idna_spelling_is_refused_and_never_stored(domain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/newsletter/subscribe/", {"email": f"reader@{domain}"}, HTTP_ACCEPT="application/json"
        )
    assert response.status_code == 400
    assert "domain" in response.json()["message"]
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


def test_too_many_fields_is_a_400():
    data = {f"f{i}": "x" for i in range(1200)} | {"email": "a@example.com"}
    response = Client(raise_request_exception=False).post("/newsletter/subscribe/", data)
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_json_body_instead_of_a_form_is_a_400():
    response = Client().post(
        "/newsletter/subscribe/",
        '{"email": "a@example.com"}',
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "email" in response.json()["message"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_signups_of_one_address_leave_one_row_and_one_mail(settings):
    settings.RATE_LIMITS = {"subscribe-address": (1000, 3600), "subscribe-ip": (1000, 3600)}
    start = threading.Barrier(50)
    codes: list[int] = []
    errors: list[BaseException] = []

    def sign_up(index: int) -> None:
        try:
            client = Client(REMOTE_ADDR=f"10.0.0.{index}", raise_request_exception=True)
            start.wait()
            spelling = "Same.Person@Example.com" if index % 2 else "same.person@example.com"
            codes.append(client.post("/newsletter/subscribe/", {"email": spelling}).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert codes == [302] * 50
    assert Subscriber.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_a_lapsed_address_send_one_mail_and_change_nothing(settings):
    settings.RATE_LIMITS = {"subscribe-address": (1000, 3600), "subscribe-ip": (1000, 3600)}
    topic = TopicFactory(slug="markets")
    subscriber = SubscriberFactory(
        email="lapsed@example.com", status=Subscriber.Status.UNSUBSCRIBED, cadence="daily", topics=[topic]
    )
    before = snapshot(subscriber)
    start = threading.Barrier(20)
    codes: list[int] = []

    def sign_up(index: int) -> None:
        try:
            client = Client(REMOTE_ADDR=f"10.0.1.{index}")
            start.wait()
            codes.append(client.post("/newsletter/subscribe/", {"email": "LAPSED@example.com"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [302] * 20
    assert snapshot(subscriber) == before
    assert len(mail.outbox) == 1 and "Confirm" in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"email=%ZZ%E9@example.com", "application/x-www-form-urlencoded"),
        (b"email=\xff\xfe@example.com", "application/x-www-form-urlencoded"),
        (b"email=a%40example.com&email=b%40example.com&email=", "application/x-www-form-urlencoded"),
        (b"--broken\r\nContent-Disposition: form-data; name=email\r\n\r\nx", "multipart/form-data; boundary=broken"),
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n--b--", "multipart/form-data; boundary=b"),
        (b"garbage", "multipart/form-data"),
        (b"\x00" * 1000, "application/octet-stream"),
        (b"email=" + b"a" * 3_000_000, "application/x-www-form-urlencoded"),
    ],
    ids=[
        "bad percent",
        "not utf-8",
        "repeated field",
        "unterminated multipart",
        "nameless part",
        "no boundary",
        "binary",
        "3 MB",
    ],
)
def test_malformed_requests_are_4xx(body, content_type, bystanders):
    response = Client(raise_request_exception=False).generic(
        "POST", "/newsletter/subscribe/", body, content_type=content_type
    )
    assert 400 <= response.status_code < 500, response.status_code
    assert {pk: snapshot(Subscriber.objects.get(pk=pk)) for pk in bystanders} == bystanders

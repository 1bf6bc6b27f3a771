"""The signup form, the confirmation, unsubscribe and preferences pages, as a browser or a script uses them."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from newsletter.models import Subscriber
from newsletter.tokens import Purpose, make_token
from newsletter.views import NEUTRAL_ANSWER, TOO_MANY
from tests.articles.factories import ArticleFactory, TopicFactory
from tests.html import soup

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

Status = Subscriber.Status
SUBSCRIBE = reverse("newsletter:subscribe")


def subscribe(client, email, json=False, **data):
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(SUBSCRIBE, {"email": email, "source": "/", **data}, **headers)


PER_REQUEST_HEADERS = {"X-Request-ID", "Expires", "Date"}


def answer_of(response) -> tuple:
    """Everything an outsider can observe about an answer."""
    cookies = sorted((key, morsel.value) for key, morsel in response.cookies.items())
    # Headers that differ on every request whatever it asks (a request id, a clock) say nothing.
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS)
    return response.status_code, response.get("Location"), response.content, cookies, headers


def link_in(message, name: str) -> str:
    return re.search(rf"https?://[^\s\"<>]+/newsletter/{name}/[^\s\"<>]+/", message.body).group(0)


def test_signup_without_javascript_posts_and_redirects(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, "new.reader@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("newsletter:subscribed")
    page = client.get(response["Location"])
    assert NEUTRAL_ANSWER in page.content.decode()
    assert Subscriber.objects.get().status == Status.PENDING
    assert len(mail.outbox) == 1


def test_signup_with_javascript_answers_json(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, "new.reader@example.com", json=True)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": NEUTRAL_ANSWER}
    bad = subscribe(client, "not-an-address", json=True)
    assert bad.status_code == 400 and bad.json()["ok"] is False and "@" in bad.json()["message"]


@pytest.mark.parametrize("json", [False, True])
def test_the_answer_is_the_same_whoever_the_address_belongs_to(json, django_capture_on_commit_callbacks):
    SubscriberFactory(email="pending@example.com", status=Status.PENDING)
    SubscriberFactory(email="active@example.com", active=True)
    SubscriberFactory(email="gone@example.com", status=Status.UNSUBSCRIBED)
    SubscriberFactory(email="bounced@example.com", status=Status.SUPPRESSED)
    answers = []
    for email in [
        "new@example.com",
        "pending@example.com",
        "active@example.com",
        "gone@example.com",
        "bounced@example.com",
    ]:
        client = Client()  # a fresh visitor each time
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(answer_of(subscribe(client, email, json=json)))
    assert all(answer == answers[0] for answer in answers), answers
    assert answers[0][0] == (200 if json else 302)


def test_honeypot_answers_like_a_person_but_stores_and_sends_nothing(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bot = subscribe(client, "bot.target@example.com", website="http://spam.example")
        person = subscribe(Client(), "person@example.com")
    assert answer_of(bot)[:3] == answer_of(person)[:3]
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["person@example.com"]
    assert [m.to for m in mail.outbox] == [["person@example.com"]]


def test_rate_limit_per_client_address(client, settings, django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {"subscribe-ip": (3, 3600)}
    with django_capture_on_commit_callbacks(execute=True):
        codes = [subscribe(client, f"r{i}@example.com").status_code for i in range(3)]
        limited = subscribe(client, "r4@example.com")
        limited_json = subscribe(client, "r5@example.com", json=True)
        elsewhere = subscribe(Client(REMOTE_ADDR="198.51.100.9"), "r6@example.com")
    assert codes == [302, 302, 302]
    assert limited.status_code == 429 and TOO_MANY in limited.content.decode()
    assert limited_json.status_code == 429 and limited_json.json() == {"ok": False, "message": TOO_MANY}
    assert elsewhere.status_code == 302
    assert Subscriber.objects.count() == 4 and len(mail.outbox) == 4


def test_rate_limit_per_address_whatever_its_spelling(settings, django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {"subscribe-address": (2, 3600)}
    spellings = ["target@example.com", "TARGET@example.com", " Target@Example.com ", "target@EXAMPLE.com"]
    with django_capture_on_commit_callbacks(execute=True):
        codes = [
            subscribe(Client(REMOTE_ADDR=f"203.0.113.{i}"), email).status_code for i, email in enumerate(spellings)
        ]
    assert codes == [302, 302, 429, 429]
    assert Subscriber.objects.count() == 1


def test_rate_limit_window_passes(client, settings):
    settings.RATE_LIMITS = {"subscribe-ip": (1, 60)}
    with time_machine.travel("2026-01-01 10:00:10Z", tick=False) as traveller:
        assert subscribe(client, "a@example.com").status_code == 302
        assert subscribe(client, "b@example.com").status_code == 429
        traveller.shift(timedelta(seconds=61))
        assert subscribe(client, "c@example.com").status_code == 302


def test_subscribe_needs_no_cookie_or_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(SUBSCRIBE, {"email": "a@example.com"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302
    assert not response.cookies
    assert Subscriber.objects.filter(email="a@example.com").exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},  # Sec-Fetch-Site wins
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "null"},
    ],
)
def test_subscribe_refuses_cross_site_posts_with_a_clear_403(headers):
    client = Client(enforce_csrf_checks=True)
    response = client.post(SUBSCRIBE, {"email": "a@example.com"}, headers=headers)
    assert response.status_code == 403
    assert "only be sent from a page of this site" in response.content.decode()
    as_json = client.post(SUBSCRIBE, {"email": "a@example.com"}, headers={**headers, "Accept": "application/json"})
    assert as_json.status_code == 403 and as_json.json()["ok"] is False
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver"},
        {},  # no browser's cross-site form: curl, an old browser
    ],
)
def test_subscribe_accepts_posts_from_this_site(headers):
    response = Client(enforce_csrf_checks=True).post(SUBSCRIBE, {"email": "a@example.com"}, headers=headers)
    assert response.status_code == 302


def test_subscribe_refuses_get(client):
    assert client.get(SUBSCRIBE).status_code == 405


def test_article_form_offers_the_articles_topics(client, django_capture_on_commit_callbacks):
    markets, policy = TopicFactory(name="Markets", slug="markets"), TopicFactory(name="Policy", slug="policy")
    article = ArticleFactory(topics=[markets, policy])
    page = soup(client.get(article.get_absolute_url()))
    form = page.find("form", class_="signup-form")
    assert form.find("input", attrs={"name": "topic_choice", "value": "all"}).has_attr("checked")
    only = form.find("input", attrs={"name": "topic_choice", "value": "chosen"}).parent.get_text()
    assert "Markets" in only and "Policy" in only
    assert {i["value"] for i in form.find_all("input", attrs={"name": "topics"})} == {"markets", "policy"}
    assert form.find("input", attrs={"name": "source"})["value"] == article.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(
            client,
            "topical@example.com",
            topic_choice="chosen",
            topics=["markets", "policy"],
            source=article.get_absolute_url(),
        )
        subscribe(Client(), "everything@example.com", topic_choice="all", topics=["markets", "policy"])
    assert set(Subscriber.objects.get(email="topical@example.com").topics.values_list("slug", flat=True)) == {
        "markets",
        "policy",
    }
    assert Subscriber.objects.get(email="topical@example.com").consent_source == article.get_absolute_url()
    assert not Subscriber.objects.get(email="everything@example.com").topics.exists()


@pytest.mark.parametrize("url", ["/", "/newsletter/"])
def test_signup_form_on_home_and_newsletter_page_loads_the_script_without_inline_code(client, url):
    ArticleFactory()
    page = soup(client.get(url))
    assert page.find("form", class_="signup-form").find("button", string="Subscribe")
    scripts = page.find_all("script")
    assert any(s.get("src", "").endswith("js/signup.js") for s in scripts)
    assert all(s.get("src", "").startswith("/static/js/") and not s.string for s in scripts)  # insights.js too
    assert not any(attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs)


def test_newsletter_page_offers_daily_or_weekly(client, django_capture_on_commit_callbacks):
    page = soup(client.get("/newsletter/"))
    assert page.find("input", attrs={"name": "cadence", "value": "daily"})
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, "daily@example.com", cadence="daily")
    assert Subscriber.objects.get().cadence == "daily"


# Confirmation


def test_confirmation_mail_link_shows_a_button_and_only_post_confirms(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, "confirm.me@example.com")
    message = mail.outbox[0]
    assert "Confirm" in message.subject
    url = link_in(message, "confirm")
    assert "confirm.me" not in url and "example.com/" not in url.split("/newsletter/")[1]
    html = message.alternatives[0][0]
    assert url in html and "style=" in html  # CSS inlined
    path = url.split("127.0.0.1:8000")[1]
    for _ in range(3):  # a link scanner fetching the link
        page = client.get(path)
        assert page.status_code == 200
        assert soup(page).find("form", method="post").find("button")
    assert Subscriber.objects.get().status == Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(path)
        again = client.post(path)
    assert confirmed.status_code == 200 and again.status_code == 200
    assert Subscriber.objects.get().status == Status.ACTIVE
    assert [m.subject.split()[0] for m in mail.outbox] == ["Confirm", "Welcome"]


def test_confirm_post_needs_the_csrf_token(django_capture_on_commit_callbacks):
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)
    path = reverse("newsletter:confirm", kwargs={"token": make_token(subscriber, Purpose.CONFIRM)})
    assert client.post(path).status_code == 403
    page = soup(client.get(path))
    token = page.find("input", attrs={"name": "csrfmiddlewaretoken"})["value"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Status.ACTIVE


def test_expired_confirmation_offers_a_new_link(client, django_capture_on_commit_callbacks):
    with time_machine.travel("2026-02-01 08:00:00Z", tick=False) as traveller:
        subscriber = SubscriberFactory(confirmation_sent_at=None)
        path = reverse("newsletter:confirm", kwargs={"token": make_token(subscriber, Purpose.CONFIRM)})
        traveller.shift(timedelta(days=8))
        page = client.get(path)
        assert page.status_code == 410
        form = soup(page).find("form", method="post")
        assert form["action"].endswith("/resend/") and form.find("button")
        assert client.post(path).status_code == 410  # an expired link confirms nothing
        subscriber.refresh_from_db()
        assert subscriber.status == Status.PENDING
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(form["action"]).status_code == 200
            assert client.post(form["action"]).status_code == 200  # within the hour: no second mail
        assert len(mail.outbox) == 1
        fresh = link_in(mail.outbox[0], "confirm").split("127.0.0.1:8000")[1]
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(fresh).status_code == 200
        subscriber.refresh_from_db()
        assert subscriber.status == Status.ACTIVE


def test_resend_is_rate_limited_per_client(client, settings):
    settings.RATE_LIMITS = {"resend-ip": (2, 3600)}
    subscriber = SubscriberFactory()
    path = reverse("newsletter:confirm_resend", kwargs={"token": make_token(subscriber, Purpose.CONFIRM)})
    assert [client.post(path).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(path).status_code == 405


@pytest.mark.parametrize("name", ["confirm", "unsubscribe", "preferences", "confirm_resend"])
def test_bad_tokens_get_a_clear_400(client, name):
    subscriber = SubscriberFactory()
    other_purpose = make_token(subscriber, Purpose.PREFERENCES if name != "preferences" else Purpose.CONFIRM)
    for token in [other_purpose, "nonsense", "a" * 3000, "ünïcödé", "<script>alert(1)<%2Fscript>", "%00", "'--"]:
        path = f"/newsletter/{name}/{quote(token)}/"
        if name == "confirm_resend":
            path = f"/newsletter/confirm/{quote(token)}/resend/"
        response = client.post(path)
        assert response.status_code == 400, token
        assert "link" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Status.PENDING


def test_token_of_a_deleted_subscriber_is_a_bad_link(client):
    subscriber = SubscriberFactory()
    path = reverse("newsletter:unsubscribe", kwargs={"token": make_token(subscriber, Purpose.UNSUBSCRIBE)})
    subscriber.delete()
    assert client.post(path).status_code == 400


# Unsubscribe


def test_one_click_unsubscribe_needs_no_cookie_or_csrf_token_and_is_idempotent():
    subscriber = SubscriberFactory(active=True)
    path = reverse("newsletter:unsubscribe", kwargs={"token": make_token(subscriber, Purpose.UNSUBSCRIBE)})
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):
        response = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        assert client.cookies == {} or "csrftoken" not in client.cookies
    subscriber.refresh_from_db()
    assert subscriber.status == Status.UNSUBSCRIBED


def test_unsubscribe_get_shows_a_button_and_changes_nothing(client):
    subscriber = SubscriberFactory(active=True)
    path = reverse("newsletter:unsubscribe", kwargs={"token": make_token(subscriber, Purpose.UNSUBSCRIBE)})
    page = client.get(path)
    assert page.status_code == 200 and soup(page).find("form", method="post").find("button", string="Unsubscribe")
    subscriber.refresh_from_db()
    assert subscriber.status == Status.ACTIVE


def _link_followed_days_later(client, *, view: str, purpose: Purpose, days: int, method: str = "get"):
    """A subscriber's mailed link, followed `days` after it was made: the subscriber, and the answer."""
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False) as traveller:
        subscriber = SubscriberFactory(active=True)
        path = reverse(view, kwargs={"token": make_token(subscriber, purpose)})
        traveller.shift(timedelta(days=days))
        return subscriber, getattr(client, method)(path)


def test_an_old_unsubscribe_link_still_unsubscribes(client):
    subscriber, response = _link_followed_days_later(
        client, view="newsletter:unsubscribe", purpose=Purpose.UNSUBSCRIBE, days=800, method="post"
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Status.UNSUBSCRIBED


def test_unsubscribe_leaves_a_suppressed_address_suppressed(client):
    subscriber = SubscriberFactory(status=Status.SUPPRESSED)
    client.post(reverse("newsletter:unsubscribe", kwargs={"token": make_token(subscriber, Purpose.UNSUBSCRIBE)}))
    subscriber.refresh_from_db()
    assert subscriber.status == Status.SUPPRESSED


# Preferences


def test_preferences_page_changes_topics_and_cadence(client):
    markets, policy = TopicFactory(slug="markets"), TopicFactory(slug="policy")
    subscriber = SubscriberFactory(active=True, topics=[markets])
    path = reverse("newsletter:preferences", kwargs={"token": make_token(subscriber, Purpose.PREFERENCES)})
    page = soup(client.get(path))
    assert page.find("input", attrs={"name": "cadence", "value": "weekly"}).has_attr("checked")
    assert page.find("input", attrs={"name": "topics", "value": str(markets.pk)}).has_attr("checked")
    unsubscribe_form = page.find("form", action=re.compile("/newsletter/unsubscribe/"))
    assert unsubscribe_form.find("button")
    response = client.post(path, {"cadence": "daily", "topics": [policy.pk]})
    assert response.status_code == 302
    assert "saved" in client.get(response["Location"]).content.decode()
    subscriber.refresh_from_db()
    assert subscriber.cadence == "daily" and list(subscriber.topics.all()) == [policy]
    assert client.post(path, {"cadence": "weekly"}).status_code == 302
    assert not subscriber.topics.exists()  # none chosen: every topic
    client.post(unsubscribe_form["action"])
    subscriber.refresh_from_db()
    assert subscriber.status == Status.UNSUBSCRIBED


@pytest.mark.parametrize(
    "data",
    [
        {"cadence": "hourly"},
        {},
        {"cadence": "daily", "topics": ["99999999999999999999999"]},
        {"cadence": "daily", "topics": ["9" * 5000]},
        {"cadence": "daily", "topics": ["-1"]},
        {"cadence": "daily", "topics": ["١٢"]},
        {"cadence": "daily", "topics": ["abc"]},
        {"cadence": "daily", "topics": ["1\x00"]},
        {"cadence": "<script>"},
    ],
)
def test_preferences_bad_input_is_a_400_and_changes_nothing(client, data):
    topic = TopicFactory()
    subscriber = SubscriberFactory(active=True, topics=[topic])
    path = reverse("newsletter:preferences", kwargs={"token": make_token(subscriber, Purpose.PREFERENCES)})
    response = client.post(path, data)
    assert response.status_code == 400
    assert soup(response).find(class_="errorlist")
    subscriber.refresh_from_db()
    assert subscriber.cadence == "weekly" and list(subscriber.topics.all()) == [topic]


def test_expired_preferences_link_is_a_bad_link(client):
    _, response = _link_followed_days_later(
        client, view="newsletter:preferences", purpose=Purpose.PREFERENCES, days=401
    )
    assert response.status_code == 400


def test_pages_and_redirects_never_carry_the_address(client, django_capture_on_commit_callbacks, caplog):
    caplog.set_level("DEBUG")
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, "private.person@example.com")
    assert "private" not in response["Location"]
    for message in mail.outbox:
        for url in re.findall(r"https?://\S+", message.body):
            assert "private" not in url and "%40" not in url and "@" not in url
        assert "private" not in message.extra_headers["List-Unsubscribe"]
    assert "private.person" not in caplog.text


def test_refusals_never_log_the_address(client, settings, caplog):
    caplog.set_level("DEBUG")
    settings.RATE_LIMITS = {"subscribe-address": (1, 3600)}
    assert subscribe(client, "private.person@example.com\nBcc: x@example.org").status_code == 400
    assert subscribe(client, "private.person@example.com").status_code == 302
    assert subscribe(Client(), "private.person@example.com").status_code == 429
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    assert Client().post(SUBSCRIBE, {"email": "private.person@example.com"}, headers=cross_site).status_code == 403
    assert caplog.records and "private.person" not in caplog.text


def test_a_script_may_post_email_and_topics_alone(client, django_capture_on_commit_callbacks):
    TopicFactory(slug="markets")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SUBSCRIBE, {"email": "script@example.com", "topics": ["markets"]})
    assert response.status_code == 302
    assert list(Subscriber.objects.get().topics.values_list("slug", flat=True)) == ["markets"]


def test_pages_answer_head(client):
    assert client.head(reverse("newsletter:signup")).status_code == 200
    assert client.head(reverse("newsletter:subscribed")).status_code == 200


def test_confirm_link_of_an_active_subscriber_says_so(client):
    subscriber = SubscriberFactory(active=True)
    page = client.get(reverse("newsletter:confirm", kwargs={"token": make_token(subscriber, Purpose.CONFIRM)}))
    assert page.status_code == 200 and "subscribed" in soup(page).h1.get_text()
    assert not soup(page).find("main").find("form")


@pytest.mark.parametrize("stop", ["unsubscribe", "suppress"])
def test_a_confirmation_link_from_before_a_stop_cannot_undo_it(client, stop, django_capture_on_commit_callbacks):
    from newsletter.services import subscriber_suppress, subscriber_unsubscribe

    with time_machine.travel("2026-02-01 08:00:00Z", tick=False) as traveller:
        subscriber = SubscriberFactory(active=True)
        old_link = reverse("newsletter:confirm", kwargs={"token": make_token(subscriber, Purpose.CONFIRM)})
        traveller.shift(timedelta(minutes=5))
        (subscriber_unsubscribe if stop == "unsubscribe" else subscriber_suppress)(subscriber=subscriber)
        traveller.shift(timedelta(minutes=5))
        replay = client.post(old_link)
        assert replay.status_code == 410 and "/resend/" in replay.content.decode()
        subscriber.refresh_from_db()
        assert subscriber.status != Status.ACTIVE
        # Asking again mails a new link, which works.
        with django_capture_on_commit_callbacks(execute=True):
            client.post(soup(replay).find("form", method="post")["action"])
        fresh = link_in(mail.outbox[-1], "confirm").split("127.0.0.1:8000")[1]
        assert fresh != old_link
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(fresh).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Status.ACTIVE


def test_rate_limit_counts_an_ipv6_client_by_its_64(settings):
    settings.RATE_LIMITS = {"subscribe-ip": (2, 3600)}
    codes = [
        subscribe(Client(REMOTE_ADDR=f"2001:db8:1:2::{i:x}"), f"v6-{i}@example.com").status_code for i in range(1, 4)
    ]
    assert codes == [302, 302, 429]
    assert subscribe(Client(REMOTE_ADDR="2001:db8:1:3::1"), "v6-other@example.com").status_code == 302
    assert Subscriber.objects.get(email="v6-1@example.com").consent_ip == "2001:db8:1:2::1"


def test_client_buckets():
    from core.clients import client_bucket

    assert client_bucket("192.0.2.7") == "192.0.2.7"
    assert client_bucket("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_bucket("2001:db8::1") == client_bucket("2001:db8::ffff") == "2001:db8::/64"
    assert client_bucket("not an ip") == "not an ip"


@pytest.mark.parametrize("remote_addr", ["", "unix:/run/gunicorn.sock", "not-an-ip", "1.2.3.4, 5.6.7.8"])
def test_an_odd_client_address_is_not_stored_and_breaks_nothing(remote_addr, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(Client(REMOTE_ADDR=remote_addr), "odd.proxy@example.com")
    assert response.status_code == 302
    assert Subscriber.objects.get().consent_ip is None


def test_every_newsletter_page_has_the_landmarks(client):
    from tests.html import assert_page_landmarks

    subscriber = SubscriberFactory(active=True)
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False):
        expired = make_token(subscriber, Purpose.CONFIRM)
    pending = SubscriberFactory()
    pages = [
        client.get(reverse("newsletter:signup")),
        client.get(reverse("newsletter:subscribed")),
        client.post(SUBSCRIBE, {"email": "nope"}),
        client.get(reverse("newsletter:confirm", kwargs={"token": make_token(pending, Purpose.CONFIRM)})),
        client.get(reverse("newsletter:confirm", kwargs={"token": make_token(subscriber, Purpose.CONFIRM)})),
        client.get(reverse("newsletter:confirm", kwargs={"token": expired})),
        client.post(reverse("newsletter:confirm_resend", kwargs={"token": expired})),
        client.get(reverse("newsletter:unsubscribe", kwargs={"token": make_token(subscriber, Purpose.UNSUBSCRIBE)})),
        client.get(reverse("newsletter:preferences", kwargs={"token": make_token(subscriber, Purpose.PREFERENCES)})),
        client.get("/newsletter/confirm/not-a-token/"),
        client.post(reverse("newsletter:unsubscribe", kwargs={"token": make_token(subscriber, Purpose.UNSUBSCRIBE)})),
    ]
    for response in pages:
        page = soup(response)
        assert_page_landmarks(page)
        assert len(page.find_all("h1")) == 1

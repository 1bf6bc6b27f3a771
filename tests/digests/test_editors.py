"""What editors use: the admin's preview, test send, send now and progress, and `send_digest`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Topic
from digests.building import digest_slot
from digests.models import Delivery, Digest
from newsletter.models import Subscriber
from tests.articles.factories import ArticleFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-password-1")
    client.force_login(user)
    return user


@pytest.fixture
def digest():
    markets = Topic.objects.create(name="Markets", slug="markets")
    policy = Topic.objects.create(name="Policy", slug="policy")
    edition = Digest.objects.create(
        cadence="weekly",
        period_start=timezone.now() - timedelta(days=7),
        period_end=timezone.now(),
        subject="This week",
        intro="Hello readers.",
    )
    edition.articles.set(
        [ArticleFactory(slug="m", topics=[markets]), ArticleFactory(slug="p", title="Policy piece", topics=[policy])]
    )
    SubscriberFactory(email="markets@example.com", topics=[markets])
    SubscriberFactory(email="all@example.com")
    return edition


def test_preview_as_a_given_subscriber(client, editor, digest):
    url = reverse("admin:digests_digest_preview", args=[digest.pk])
    page = client.get(url, {"subscriber": "Markets@Example.com"})
    assert page.status_code == 200
    assert b"List-Unsubscribe" in page.content and b"<iframe" in page.content
    subscriber_id = page.context["subscriber"].pk
    html = client.get(url, {"subscriber": subscriber_id, "format": "html"})
    assert b"/articles/m/" in html.content and b"/articles/p/" not in html.content
    assert "script-src 'none'" in html.headers["Content-Security-Policy"]
    text = client.get(url, {"subscriber": subscriber_id, "format": "text"})
    assert text.headers["Content-Type"].startswith("text/plain") and b"Hello readers." in text.content
    assert client.get(url, {"subscriber": "nobody@example.com"}).status_code == 404
    assert client.get(url, {"subscriber": "<script>x</script>" * 50}).status_code == 404


def test_send_a_test_to_myself(client, editor, digest, mailoutbox):
    response = client.post(reverse("admin:digests_digest_send_test", args=[digest.pk]))
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["editor@example.com"]]
    assert mailoutbox[0].subject == "[Test] This week"
    assert not Delivery.objects.exists()
    assert client.get(reverse("admin:digests_digest_send_test", args=[digest.pk])).status_code == 405


def test_send_now_asks_first_then_sends_and_shows_progress(
    client, editor, digest, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("admin:digests_digest_send_now", args=[digest.pk])
    question = client.get(url)
    assert question.status_code == 200
    assert question.context["recipients"] == 2
    assert "Send to 2 subscribers" in question.content.decode()
    # A POST that is not the confirmation only asks again.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 200
    assert mailoutbox == [] and not Delivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "send"})
    assert response.url == reverse("admin:digests_digest_progress", args=[digest.pk])
    assert sorted(m.to[0] for m in mailoutbox) == ["all@example.com", "markets@example.com"]
    page = client.get(response.url)
    assert page.context["progress"]["sent"] == 2 and page.context["progress"]["remaining"] == 0
    assert b'http-equiv="refresh"' not in page.content  # finished: no more refreshing
    # Sending again sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"confirm": "send"})
    assert len(mailoutbox) == 2


def test_send_now_with_nobody_to_receive_it_says_so_and_sends_nothing(
    client, editor, digest, mailoutbox, django_capture_on_commit_callbacks
):
    Subscriber.objects.update(cadence=Subscriber.Cadence.DAILY)  # the edition is weekly
    url = reverse("admin:digests_digest_send_now", args=[digest.pk])
    question = client.get(url).content.decode()
    assert "Nobody would receive it" in question and 'value="send"' not in question
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "send"}, follow=True)
    assert "no active subscriber takes the weekly digest" in response.content.decode()
    digest.refresh_from_db()
    assert digest.status != Digest.Status.SENT and mailoutbox == [] and not Delivery.objects.exists()


def test_progress_refreshes_while_sending(client, editor, digest):
    digest.status = Digest.Status.SENDING
    digest.save()
    Delivery.objects.create(digest=digest, subscriber=SubscriberFactory(), status=Delivery.Status.SENT)
    Delivery.objects.create(digest=digest, subscriber=SubscriberFactory(), status=Delivery.Status.FAILED)
    Delivery.objects.create(digest=digest, subscriber=SubscriberFactory())
    page = client.get(reverse("admin:digests_digest_progress", args=[digest.pk]))
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert b"<script" not in page.content.split(b"</head>")[1].replace(b'<script src="', b"")
    progress = page.context["progress"]
    assert (progress["sent"], progress["failed"], progress["remaining"]) == (1, 1, 1)


def test_change_form_offers_the_actions(client, editor, digest):
    page = client.get(reverse("admin:digests_digest_change", args=[digest.pk])).content.decode()
    for name in ("preview", "progress", "send_test", "send_now"):
        assert reverse(f"admin:digests_digest_{name}", args=[digest.pk]) in page
    # The test's form is not inside the admin's form: browsers drop nested forms.
    start = page.index('id="digest_form"')
    main_form = page[start : page.index("</form>", start)]
    assert 'id="digest-send-test"' not in main_form
    assert 'id="digest-send-test"' in page and 'form="digest-send-test"' in main_form


def test_admin_actions_need_staff(client, digest):
    url = reverse("admin:digests_digest_send_now", args=[digest.pk])
    assert client.post(url, {"confirm": "send"}).status_code == 302  # to the login page
    assert digest.deliveries.count() == 0


@pytest.mark.django_db(transaction=True)  # the command commits, as it does in a terminal
def test_send_digest_command(mailoutbox):
    SubscriberFactory(email="weekly@example.com")
    SubscriberFactory(email="daily@example.com", cadence="daily")
    ArticleFactory(published_at=digest_slot(cadence="daily") - timedelta(minutes=5))
    out = StringIO()
    call_command("send_digest", "--dry-run", stdout=out)
    assert "daily: 1 articles, 1 recipients" in out.getvalue()
    assert not Digest.objects.exists() and mailoutbox == []

    out = StringIO()
    call_command("send_digest", "--cadence", "daily", stdout=out)
    assert "1 sent, 0 failed" in out.getvalue()
    assert "100%" in out.getvalue()  # the progress bar
    assert [m.to for m in mailoutbox] == [["daily@example.com"]]

    out = StringIO()
    call_command("send_digest", "--cadence", "daily", stdout=out)
    assert "already sent" in out.getvalue()
    assert len(mailoutbox) == 1

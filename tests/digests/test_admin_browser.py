"""An editor in Chromium: send a test, send now after confirming, preview as a subscriber picked by search.

Mail goes to a real SMTP server (aiosmtpd) and, for a real send, through Redis to a real Celery worker.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import Article, Topic
from digests.models import Delivery, Digest
from tests.articles.factories import ArticleFactory
from tests.integration import celery_worker, smtp_sink  # noqa: F401 - fixtures

from .factories import SubscriberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


def log_in(page, live_server) -> None:
    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/admin/")


def choose(page, select_id: str, text: str) -> None:
    """Pick an option in one of the admin's autocomplete (select2) widgets by typing."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


@pytest.fixture
def edition():
    markets = Topic.objects.create(name="Markets", slug="markets")
    now = timezone.now()
    digest = Digest.objects.create(
        cadence="weekly", period_start=now - timedelta(days=7), period_end=now, subject="The week in markets"
    )
    digest.articles.set(
        [
            ArticleFactory(slug="grid-outlook", title="Grid outlook", topics=[markets]),
            ArticleFactory(slug="embargoed", title="Embargoed research", published_at=now + timedelta(days=1)),
        ]
    )
    SubscriberFactory(email="ann@example.com", topics=[markets])
    SubscriberFactory(email="bob@example.com")
    SubscriberFactory(email="daily@example.com", cadence="daily")  # another cadence
    return digest


def _mail_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_send_a_test_arrives_at_the_editors_address(live_server, page, settings, smtp_sink, edition):  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/digests/digest/{edition.pk}/change/")
    # What the embargo leaves out is on the page, with why.
    assert "Embargoed research" in page.locator(".field-left_out").inner_text()
    assert "scheduled for" in page.locator(".field-left_out").inner_text()
    page.get_by_role("button", name="Send a test to me").click()
    assert "was sent to editor@example.com" in page.locator(".messagelist").inner_text()

    message = smtp_sink.wait_for(lambda m: m["To"] == "editor@example.com")
    assert message["Subject"] == "[Test] The week in markets"
    assert "/articles/grid-outlook/" in _mail_text(message) and "/articles/embargoed/" not in _mail_text(message)
    assert [m["To"] for m in smtp_sink.messages] == ["editor@example.com"]
    assert not Delivery.objects.exists()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
def test_send_now_shows_the_count_and_sends_only_after_confirming(
    live_server,
    page,
    celery_worker,  # noqa: F811
    smtp_sink,  # noqa: F811
    edition,
):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/digests/digest/{edition.pk}/change/")
    page.get_by_role("link", name="Send now…").click()
    assert page.locator("#recipient-count").inner_text() == "2"
    assert "Embargoed research" in page.locator(".digest-withheld").inner_text()
    # Nothing has gone yet: the question is all that happened.
    edition.refresh_from_db()
    assert edition.status == Digest.Status.DRAFT and not Delivery.objects.exists() and smtp_sink.messages == []

    page.get_by_role("button", name="Send to 2 subscribers").click()
    page.wait_for_url(re.compile(r"/progress/$"))
    for address in ("ann@example.com", "bob@example.com"):
        message = smtp_sink.wait_for(lambda m, address=address: m["To"] == address)
        assert "/articles/grid-outlook/" in _mail_text(message)
        assert "/articles/embargoed/" not in _mail_text(message)
        assert live_server.url in _mail_text(message)  # the worker's links lead to this site
    page.reload()
    page.wait_for_function("document.querySelector('#progress-sent').textContent.trim() === '2'", timeout=30_000)
    assert sorted(m["To"] for m in smtp_sink.messages) == ["ann@example.com", "bob@example.com"]


def test_preview_as_a_subscriber_picked_with_the_search(live_server, page, edition):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/digests/digest/{edition.pk}/change/")
    page.get_by_role("link", name="Preview as a subscriber").click()
    choose(page, "id_subscriber", "ann@")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(r"\?subscriber=\d+"))
    assert "ann@example.com" in page.locator("#preview-headers").inner_text()
    mail = page.frame_locator("iframe")
    assert mail.get_by_role("link", name="Grid outlook").count() == 1
    assert mail.get_by_text("Embargoed research").count() == 0
    # The picker shows who is previewed.
    assert "ann@example.com" in page.locator("#id_subscriber + .select2").inner_text()
    assert Article.objects.count() == 2

"""The digest mail, the ledger and the archive, in-process."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from articles.models import Topic
from digests.delivery import deliveries_create, deliveries_reclaim
from digests.models import Delivery, Digest
from digests.rendering import DigestRenderer, digest_message, digest_preview
from digests.services import digest_send
from digests.smtp import SerializedDigest
from newsletter.emails import subscriber_links
from newsletter.models import Subscriber
from newsletter.services import subscriber_record_hard_bounce
from newsletter.tokens import Purpose, read_token
from tests.articles.factories import ArticleFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def digest(topics):
    markets, policy = topics
    now = timezone.now()
    edition = Digest.objects.create(
        cadence="weekly",
        period_start=now - timedelta(days=7),
        period_end=now,
        subject="Vivold Weekly: <three> insights",
        intro="This week: power & chips.\nSecond line.",
        status=Digest.Status.SENDING,
    )
    # Published before the dates some tests travel to: an article not yet due would be left out.
    day = datetime(2026, 11, 29, 9, tzinfo=UTC)
    edition.articles.set(
        [
            ArticleFactory(
                slug="power",
                title="Power <b>grids</b> & AI",
                topics=[markets],
                key_insights="Grids decide <where>.",
                published_at=day,
            ),
            ArticleFactory(
                slug="rules", title="New procurement rules", topics=[policy], published_at=day + timedelta(minutes=1)
            ),
            ArticleFactory(
                slug="both", title="Chips and rules", topics=[markets, policy], published_at=day + timedelta(minutes=2)
            ),
        ]
    )
    return edition


@time_machine.travel("2026-11-30 07:00:00 +00:00", tick=False)  # links compared below carry a timestamp
def test_mail_holds_every_promised_part(digest):
    reader = SubscriberFactory(email="ann@example.com")
    message = digest_preview(digest=digest, subscriber=reader)
    links = subscriber_links(reader)
    mime = message.message()
    assert mime.get_content_type() == "multipart/alternative"
    assert message.subject == "Vivold Weekly: <three> insights"
    assert message.extra_headers["List-Unsubscribe"] == f"<{links['unsubscribe_url']}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = links["unsubscribe_url"].rstrip("/").rsplit("/", 1)[1]
    assert read_token(token, Purpose.UNSUBSCRIBE) == reader.pk

    text = message.body
    html = message.alternatives[0][0]
    archive = f"/newsletter/digests/{digest.pk}/"
    for part in (text, html):
        assert archive in part
        assert links["unsubscribe_url"] in part and links["preferences_url"] in part
        assert "/articles/power/" in part and "/articles/rules/" in part and "/articles/both/" in part
        assert "Markets" in part and "Policy" in part
    assert "Power <b>grids</b> & AI" in text and "Grids decide <where>." in text
    assert "This week: power & chips." in text

    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("style") is None, "CSS must be inlined"
    assert soup.find("body").get("style")
    assert "<b>grids</b>" not in html  # titles are escaped in HTML
    assert soup.find("a", string="Unsubscribe")["href"] == links["unsubscribe_url"]
    assert soup.find("a", string="Change topics or frequency")["href"] == links["preferences_url"]
    titles = [a.get_text() for a in soup.select("h2 a")]
    assert titles == ["Chips and rules", "New procurement rules", "Power <b>grids</b> & AI"]  # newest first
    assert soup.find(string="Key Insights")
    assert "second line" in html.lower() and "<br>" in html


def test_each_reader_gets_only_their_topics(digest, topics):
    markets, policy = topics
    market_reader = SubscriberFactory(topics=[markets])
    policy_reader = SubscriberFactory(topics=[policy])
    assert "/articles/rules/" not in digest_preview(digest=digest, subscriber=market_reader).body
    assert "/articles/power/" in digest_preview(digest=digest, subscriber=market_reader).body
    assert "/articles/power/" not in digest_preview(digest=digest, subscriber=policy_reader).body
    other = Topic.objects.create(name="Space", slug="space")
    assert digest_preview(digest=digest, subscriber=SubscriberFactory(topics=[other])) is None


def test_rendered_once_per_selection_not_per_reader(digest, topics):
    markets, policy = topics
    renderer = DigestRenderer(digest)
    readers = [SubscriberFactory(topics=[markets]) for _ in range(10)] + [SubscriberFactory() for _ in range(10)]
    bodies = set()
    for reader in readers:
        chosen = frozenset(t.pk for t in reader.topics.all())
        message = digest_message(renderer=renderer, subscriber=reader, topic_ids=chosen)
        bodies.add(message.body)
    assert len(renderer._cache) == 2
    assert len(bodies) == 20  # yet each copy carries its reader's own links


@time_machine.travel("2026-11-30 07:00:00 +00:00", tick=False)  # tokens carry a timestamp: one for both builds
def test_serialized_copy_matches_the_full_builder(digest):
    reader = SubscriberFactory(email="zoe@example.com")
    renderer = DigestRenderer(digest)
    rendered = renderer.for_topics(frozenset())
    serialized = SerializedDigest(rendered)
    assert serialized.usable
    links = subscriber_links(reader)
    copies = [
        message_from_bytes(serialized.bytes_for(email=reader.email, links=links), policy=policy.default)
        for _ in range(2)
    ]
    full = digest_message(renderer=renderer, subscriber=reader, topic_ids=frozenset())
    first = copies[0]
    assert first["To"] == "zoe@example.com"
    assert first["List-Unsubscribe"] == f"<{links['unsubscribe_url']}>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["Subject"] == full.subject

    def content(kind: str) -> str:  # as a mail client reads it: CRLF on the wire
        return first.get_body(preferencelist=(kind,)).get_content().replace("\r\n", "\n")

    assert content("plain") == full.body
    assert content("html") == full.alternatives[0][0]
    assert "placeholder" not in first.as_string()
    assert copies[0]["Message-ID"] != copies[1]["Message-ID"]


def test_ledger_is_written_once_per_reader(digest, topics):
    markets, _ = topics
    readers = [SubscriberFactory(), SubscriberFactory(topics=[markets])]
    SubscriberFactory(cadence="daily")
    SubscriberFactory(status=Subscriber.Status.PENDING)
    SubscriberFactory(topics=[Topic.objects.create(name="Space", slug="space")])
    assert deliveries_create(digest=digest) == 2
    assert deliveries_create(digest=digest) == 2  # a replay adds nothing
    assert set(Delivery.objects.values_list("subscriber_id", flat=True)) == {r.pk for r in readers}


def test_repeated_hard_bounces_suppress_the_address():
    reader = SubscriberFactory()
    for expected in (1, 2):
        subscriber_record_hard_bounce(subscriber_id=reader.pk)
        reader.refresh_from_db()
        assert (reader.hard_bounces, reader.status) == (expected, Subscriber.Status.ACTIVE)
    subscriber_record_hard_bounce(subscriber_id=reader.pk)
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.SUPPRESSED and reader.suppressed_at


def test_sweeper_hands_back_stalled_rows_and_finishes(digest, mailoutbox, django_capture_on_commit_callbacks):
    reader = SubscriberFactory(email="stuck@example.com")
    deliveries_create(digest=digest)
    Delivery.objects.update(status=Delivery.Status.SENDING, claimed_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        restarted = deliveries_reclaim()
    assert restarted == [digest.pk]
    assert Delivery.objects.get(subscriber=reader).status == Delivery.Status.SENT
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT and digest.sent_count == 1
    assert [m.to for m in mailoutbox] == [["stuck@example.com"]]


def test_without_a_broker_the_edition_goes_out_after_commit_retries_included(
    digest, smtp_sink, settings, django_capture_on_commit_callbacks
):
    # What `make run` does with no REDIS_URL: tasks run in-process, so nothing could wait for a retry later.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    settings.DIGEST_RETRY_BASE_SECONDS = 0.05
    SubscriberFactory(email="ann@example.com")
    busy = SubscriberFactory(email="busy@example.com")
    smtp_sink.handler.defer = {"busy@example.com": 1}
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SCHEDULED)
    with django_capture_on_commit_callbacks(execute=True):
        digest_send(digest=digest)
    digest.refresh_from_db()
    assert (digest.status, digest.sent_count) == (Digest.Status.SENT, 2)
    assert smtp_sink.counts() == {"ann@example.com": 1, "busy@example.com": 1}
    assert Delivery.objects.get(subscriber=busy).attempts == 2


def test_sweeper_leaves_fresh_claims_alone(digest):
    SubscriberFactory()
    deliveries_create(digest=digest)
    Delivery.objects.update(status=Delivery.Status.SENDING, claimed_at=timezone.now())
    assert deliveries_reclaim() == []
    assert Delivery.objects.get().status == Delivery.Status.SENDING


def test_archive_shows_editions_once_they_go_out(client, digest):
    draft = Digest.objects.create(
        cadence="daily", period_start=timezone.now(), period_end=timezone.now(), subject="Not yet"
    )
    assert client.get(reverse("digests:detail", kwargs={"pk": draft.pk})).status_code == 404
    page = client.get(reverse("digests:detail", kwargs={"pk": digest.pk}))
    assert page.status_code == 200
    assert b"Power &lt;b&gt;grids&lt;/b&gt; &amp; AI" in page.content
    listing = client.get(reverse("digests:list")).content.decode()
    assert digest.get_absolute_url() in listing and "Not yet" not in listing
    assert client.get("/newsletter/digests/999999/").status_code == 404


def test_an_editor_can_open_an_edition_not_sent_yet_from_a_test_mail(client, admin_user):
    draft = Digest.objects.create(
        cadence="daily", period_start=timezone.now(), period_end=timezone.now(), subject="Not yet"
    )
    url = reverse("digests:detail", kwargs={"pk": draft.pk})
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200 and b"Not yet" in page.content
    assert "no-store" in page["Cache-Control"] and page["X-Robots-Tag"] == "noindex, nofollow"
    client.logout()
    assert client.get(url).status_code == 404

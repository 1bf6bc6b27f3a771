"""Digest delivery end to end: PostgreSQL, Redis, real Celery worker processes, a real SMTP server."""

import random
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Topic
from digests.building import digest_build, digest_slot
from digests.models import Delivery, Digest
from digests.services import digest_send, digests_due_send
from digests.tasks import deliveries_reclaim_task
from newsletter.models import Subscriber
from newsletter.tokens import Purpose, read_token
from tests.articles.factories import ArticleFactory

from .factories import SubscriberFactory, subscribers_bulk_create

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

ARTICLE_LINK = re.compile(r"/articles/([\w-]+)/")


def _articles_in_mail(message) -> set[str]:
    return set(ARTICLE_LINK.findall(message.get_body(preferencelist=("plain",)).get_content()))


def _wait_until_finished(digest: Digest, timeout: float) -> Digest:
    deadline = timezone.now() + timedelta(seconds=timeout)
    while timezone.now() < deadline:
        digest.refresh_from_db()
        if digest.status == Digest.Status.SENT:
            return digest
        import time

        time.sleep(0.2)
    progress = Delivery.objects.filter(digest=digest).progress()
    pytest.fail(f"digest not finished after {timeout}s: {progress}")


def test_each_subscriber_gets_exactly_their_articles_once(workers, smtp_sink):
    topics = [Topic.objects.create(name=f"Topic {n}", slug=f"topic-{n}") for n in range(4)]
    now = timezone.now()
    slots = {cadence: digest_slot(cadence=cadence, now=now) for cadence in Subscriber.Cadence.values}
    articles: dict[str, dict[str, set[int]]] = {cadence: {} for cadence in slots}
    for cadence, slot in slots.items():
        for n in range(6):
            chosen = [topics[n % 4]] + ([topics[(n + 1) % 4]] if n % 3 == 0 else [])
            article = ArticleFactory(
                slug=f"{cadence}-article-{n}", published_at=slot - timedelta(hours=3, minutes=n), topics=chosen
            )
            articles[cadence][article.slug] = {t.pk for t in chosen}
    rng = random.Random(4)
    rows = []
    for n in range(2000):
        cadence = Subscriber.Cadence.DAILY if n % 3 == 0 else Subscriber.Cadence.WEEKLY
        chosen = [t.pk for t in topics if rng.random() < 0.3]
        rows.append((f"reader{n}@example.com", cadence, chosen))
    subscribers_bulk_create(rows)
    subscribers_bulk_create([("left@example.com", "weekly", [])], status=Subscriber.Status.UNSUBSCRIBED)
    subscribers_bulk_create([("waiting@example.com", "daily", [])], status=Subscriber.Status.PENDING)

    workers.start(2)
    digests = [digests_due_send(cadence=cadence, now=now) for cadence in Subscriber.Cadence.values]
    assert all(digests)
    for digest in digests:
        _wait_until_finished(digest, timeout=90)

    counts = smtp_sink.counts()
    ids = dict(Subscriber.objects.values_list("email", "pk"))
    message_ids: set[str] = set()
    expected_mails = 0
    for email, cadence, chosen in rows:
        wanted = {slug for slug, topic_ids in articles[cadence].items() if not chosen or topic_ids & set(chosen)}
        if not wanted:
            assert counts[email] == 0, email
            continue
        expected_mails += 1
        assert counts[email] == 1, email
        message = smtp_sink.messages(email)[0]
        assert _articles_in_mail(message) == wanted, email
        assert message["To"] == email
        token = message["List-Unsubscribe"].strip("<>").rstrip("/").rsplit("/", 1)[1]
        assert read_token(token, Purpose.UNSUBSCRIBE) == ids[email]
        assert token in message.get_body(preferencelist=("html",)).get_content()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        message_ids.add(message["Message-ID"])
    assert counts["left@example.com"] == counts["waiting@example.com"] == 0
    assert smtp_sink.total() == expected_mails == len(message_ids)
    assert sum(d.sent_count for d in Digest.objects.all()) == expected_mails

    # Sending again, by hand or by the schedule, sends nothing more.
    for digest in digests:
        digest_send(digest=digest)
        digests_due_send(cadence=digest.cadence, now=now)
    smtp_sink.wait_for(lambda: smtp_sink.total() > expected_mails, timeout=3)
    assert smtp_sink.total() == expected_mails


def test_killed_worker_mid_send_loses_nobody(workers, smtp_sink):
    topic = Topic.objects.create(name="Markets", slug="markets")
    ArticleFactory(slug="the-one", topics=[topic], published_at=digest_slot(cadence="weekly") - timedelta(hours=1))
    subscribers_bulk_create([(f"kill{n}@example.com", "weekly", []) for n in range(2000)])
    first, second = workers.start(2)
    digest = digests_due_send(cadence="weekly")

    assert smtp_sink.wait_for(lambda: smtp_sink.total() >= 500, timeout=60)
    # Killed the moment a batch is claimed, both at once: a process caught between batches
    # holds nothing, and the test would then prove nothing.
    sending = Delivery.objects.filter(digest=digest, status="sending")
    assert smtp_sink.wait_for(sending.exists, timeout=30, interval=0)
    workers.kill(first)
    workers.kill(second)
    killed_at = smtp_sink.total()
    assert killed_at < 2000, "the send finished before the kill"
    workers.start(1)

    # The new worker finishes what it can; the dead workers' claimed rows stay "sending"
    # until the sweeper hands them back.
    def settled():
        before = smtp_sink.total()
        smtp_sink.wait_for(lambda: False, timeout=1.5)
        return not Delivery.objects.filter(digest=digest, status="pending").exists() and smtp_sink.total() == before

    assert smtp_sink.wait_for(settled, timeout=60, interval=0)
    stuck = Delivery.objects.filter(digest=digest, status="sending").count()
    assert stuck > 0, "the kill did not catch the worker holding a batch"
    deliveries_reclaim_task.delay(older_than_seconds=0)
    _wait_until_finished(digest, timeout=60)

    counts = smtp_sink.counts()
    missing = [f"kill{n}@example.com" for n in range(2000) if counts[f"kill{n}@example.com"] == 0]
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    assert missing == []
    # Solo pool: each killed process had at most one message accepted by the server but not yet marked.
    assert duplicates <= 2
    assert Delivery.objects.filter(digest=digest, status="sent").count() == 2000


def test_temporary_refusals_are_retried_until_delivered(workers, smtp_sink):
    ArticleFactory(slug="retry-me", published_at=digest_slot(cadence="daily") - timedelta(hours=1))
    for n in range(30):
        SubscriberFactory(email=f"retry{n}@example.com", cadence="daily")
    smtp_sink.handler.refuse_seconds = 3
    workers.start(1)
    digest = digests_due_send(cadence="daily")
    digest = _wait_until_finished(digest, timeout=60)

    assert smtp_sink.handler.refused > 0
    assert smtp_sink.counts() == {f"retry{n}@example.com": 1 for n in range(30)}
    assert digest.sent_count == 30
    assert Delivery.objects.filter(digest=digest, attempts__gt=1).exists()


def test_permanent_refusal_fails_one_delivery_only(workers, smtp_sink):
    ArticleFactory(slug="bounce", published_at=digest_slot(cadence="weekly") - timedelta(hours=1))
    for n in range(30):
        SubscriberFactory(email=f"ok{n}@example.com")
    gone = SubscriberFactory(email="gone@example.com")
    smtp_sink.handler.hard_fail = {"gone@example.com"}
    workers.start(1)
    digest = _wait_until_finished(digests_due_send(cadence="weekly"), timeout=60)

    assert smtp_sink.counts() == {f"ok{n}@example.com": 1 for n in range(30)}
    failed = Delivery.objects.get(digest=digest, subscriber=gone)
    assert failed.status == Delivery.Status.FAILED
    assert failed.last_error.startswith("550")
    assert (digest.sent_count, digest.failed_count) == (30, 1)
    gone.refresh_from_db()
    assert gone.hard_bounces == 1
    assert digest_build(cadence="weekly").pk == digest.pk  # the edition is not rebuilt

"""The schedule: weekly on Monday 07:00 and daily at 07:00, site time, and only when there is news."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.beat import ScheduleEntry
from django.conf import settings

from articles.models import Topic
from digests.building import NothingToSend, digest_slot
from digests.models import Digest
from digests.services import digest_send
from digests.tasks import digests_due_send_task
from newsletter.models import Subscriber
from tests.articles.factories import ArticleFactory
from vivold.celery import app

from .factories import SubscriberFactory

LONDON = ZoneInfo("Europe/London")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def _entry(name: str) -> ScheduleEntry:
    spec = settings.CELERY_BEAT_SCHEDULE[name]
    return ScheduleEntry(name=name, task=spec["task"], schedule=spec["schedule"], args=spec.get("args"), app=app)


def test_beat_runs_in_the_site_time_zone():
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    assert list(_entry("digest-weekly").args) == ["weekly"]
    assert list(_entry("digest-daily").args) == ["daily"]
    assert settings.CELERY_BEAT_SCHEDULE["digest-reclaim-stalled"]["task"] == "digests.tasks.deliveries_reclaim_task"


@pytest.mark.parametrize(
    ("name", "now", "last_run", "due"),
    [
        # Monday 30 November 2026 (GMT) and Monday 14 June 2027 (BST: 07:00 London is 06:00 UTC)
        ("digest-weekly", london(2026, 11, 30, 7, 0, 5), london(2026, 11, 23, 7, 0, 1), True),
        ("digest-weekly", london(2026, 11, 30, 6, 59, 0), london(2026, 11, 23, 7, 0, 1), False),
        ("digest-weekly", london(2026, 12, 1, 7, 0, 5), london(2026, 11, 30, 7, 0, 1), False),
        ("digest-weekly", london(2027, 6, 14, 7, 0, 5), london(2027, 6, 7, 7, 0, 1), True),
        ("digest-daily", london(2026, 12, 1, 7, 0, 5), london(2026, 11, 30, 7, 0, 1), True),
        ("digest-daily", london(2026, 12, 1, 6, 59, 0), london(2026, 11, 30, 7, 0, 1), False),
        ("digest-daily", london(2027, 6, 15, 7, 0, 5), london(2027, 6, 14, 7, 0, 1), True),
        ("digest-daily", london(2027, 6, 15, 6, 30, 0), london(2027, 6, 14, 7, 0, 1), False),
    ],
)
def test_beat_fires_at_seven_local(name, now, last_run, due):
    entry = _entry(name)
    with time_machine.travel(now, tick=False):
        assert entry.schedule.is_due(last_run).is_due is due


def test_slot_is_the_latest_seven_oclock():
    assert digest_slot(cadence="daily", now=london(2026, 12, 2, 6, 59)) == london(2026, 12, 1, 7)
    assert digest_slot(cadence="daily", now=london(2026, 12, 2, 7, 0)) == london(2026, 12, 2, 7)
    assert digest_slot(cadence="weekly", now=london(2026, 12, 6, 23, 0)) == london(2026, 11, 30, 7)
    assert digest_slot(cadence="weekly", now=london(2027, 3, 29, 7, 30)) == london(2027, 3, 29, 7)  # after DST


@pytest.fixture
def readers(db):
    markets, policy = (
        Topic.objects.create(name="Markets", slug="markets"),
        Topic.objects.create(name="Policy", slug="policy"),
    )
    return {
        "weekly": SubscriberFactory(email="weekly@example.com", cadence="weekly"),
        "daily": SubscriberFactory(email="daily@example.com", cadence="daily"),
        "daily_policy": SubscriberFactory(email="policy@example.com", cadence="daily", topics=[policy]),
        "pending": SubscriberFactory(email="pending@example.com", status=Subscriber.Status.PENDING),
        "gone": SubscriberFactory(email="gone@example.com", status=Subscriber.Status.UNSUBSCRIBED, cadence="daily"),
        "bounced": SubscriberFactory(email="bounced@example.com", status=Subscriber.Status.SUPPRESSED),
        "topics": (markets, policy),
    }


def _run(cadence: str, when: datetime, capture) -> int | None:
    with time_machine.travel(when, tick=False), capture(execute=True):
        return digests_due_send_task.delay(cadence).get()


def test_weekly_digest_on_monday_morning(readers, mailoutbox, django_capture_on_commit_callbacks):
    markets, _ = readers["topics"]
    ArticleFactory(slug="sunday-piece", topics=[markets], published_at=london(2026, 11, 29, 18))
    ArticleFactory(slug="too-old", topics=[markets], published_at=london(2026, 11, 20, 18))
    ArticleFactory(slug="after-seven", topics=[markets], published_at=london(2026, 11, 30, 7, 30))

    pk = _run("weekly", london(2026, 11, 30, 7, 0, 5), django_capture_on_commit_callbacks)
    digest = Digest.objects.get(pk=pk)
    assert (digest.cadence, digest.period_end, digest.period_start) == (
        "weekly",
        london(2026, 11, 30, 7),
        london(2026, 11, 23, 7),
    )
    assert [a.slug for a in digest.articles.all()] == ["sunday-piece"]
    assert digest.status == Digest.Status.SENT
    assert [m.to for m in mailoutbox] == [["weekly@example.com"]]


def test_daily_digest_at_seven_holds_only_news_since_the_last_one(
    readers, mailoutbox, django_capture_on_commit_callbacks
):
    markets, policy = readers["topics"]
    ArticleFactory(slug="monday-markets", topics=[markets], published_at=london(2026, 11, 30, 12))
    ArticleFactory(slug="monday-policy", topics=[policy], published_at=london(2026, 11, 30, 13))
    _run("daily", london(2026, 12, 1, 7, 0, 5), django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == ["daily@example.com", "policy@example.com"]
    policy_mail = next(m for m in mailoutbox if m.to == ["policy@example.com"])
    assert "/articles/monday-policy/" in policy_mail.body and "/articles/monday-markets/" not in policy_mail.body

    mailoutbox.clear()
    ArticleFactory(slug="tuesday-markets", topics=[markets], published_at=london(2026, 12, 1, 15))
    _run("daily", london(2026, 12, 2, 7, 0, 5), django_capture_on_commit_callbacks)
    # Only the reader of every topic gets Tuesday's markets piece; the policy reader gets nothing.
    assert [m.to for m in mailoutbox] == [["daily@example.com"]]
    assert "/articles/tuesday-markets/" in mailoutbox[0].body
    assert "/articles/monday-markets/" not in mailoutbox[0].body
    assert Digest.objects.get(period_end=london(2026, 12, 2, 7)).period_start == london(2026, 12, 1, 7)


def test_empty_period_sends_nothing(readers, mailoutbox, django_capture_on_commit_callbacks):
    ArticleFactory(slug="last-month", published_at=london(2026, 10, 1, 12))
    ArticleFactory(slug="draft", status="draft", published_at=None)
    assert _run("daily", london(2026, 12, 1, 7, 0, 5), django_capture_on_commit_callbacks) is None
    assert _run("weekly", london(2026, 11, 30, 7, 0, 5), django_capture_on_commit_callbacks) is None
    assert not Digest.objects.exists()
    assert mailoutbox == []


def test_nothing_for_unsubscribed_pending_or_suppressed(readers, mailoutbox, django_capture_on_commit_callbacks):
    ArticleFactory(slug="news", published_at=london(2026, 11, 29, 12))
    _run("weekly", london(2026, 11, 30, 7, 0, 5), django_capture_on_commit_callbacks)
    _run("daily", london(2026, 11, 30, 7, 0, 5), django_capture_on_commit_callbacks)
    recipients = {m.to[0] for m in mailoutbox}
    assert recipients == {"weekly@example.com", "daily@example.com"}  # the policy reader has no policy news
    assert not recipients & {"pending@example.com", "gone@example.com", "bounced@example.com"}


def test_running_twice_in_the_same_slot_sends_once(readers, mailoutbox, django_capture_on_commit_callbacks):
    ArticleFactory(slug="news", published_at=london(2026, 11, 29, 12))
    first = _run("weekly", london(2026, 11, 30, 7, 0, 5), django_capture_on_commit_callbacks)
    second = _run("weekly", london(2026, 11, 30, 9), django_capture_on_commit_callbacks)
    assert first == second
    assert len(mailoutbox) == 1
    assert Digest.objects.count() == 1


def test_slot_ahead_is_not_sent_early(readers, mailoutbox, django_capture_on_commit_callbacks):
    ArticleFactory(slug="news", published_at=london(2026, 11, 30, 9))
    # Monday 09:00 news waits for Tuesday's daily edition.
    assert _run("daily", london(2026, 11, 30, 10), django_capture_on_commit_callbacks) is None
    assert _run("daily", london(2026, 12, 1, 7, 0, 1), django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    assert timedelta(0) < Digest.objects.get().period_end - london(2026, 11, 30, 9)


def test_an_edition_sent_early_by_hand_leaves_later_news_to_the_next(
    readers, mailoutbox, django_capture_on_commit_callbacks
):
    """An editor sends the edition of tomorrow's slot at 13:01: its period closes then, and a
    piece published at 13:05 goes out at 07:00 as usual instead of reaching nobody."""
    markets, _ = readers["topics"]
    morning = ArticleFactory(slug="morning-piece", topics=[markets], published_at=london(2026, 12, 1, 9))
    by_hand = Digest.objects.create(
        cadence="daily", period_start=london(2026, 12, 1, 7), period_end=london(2026, 12, 2, 7), subject="By hand"
    )
    by_hand.articles.set([morning])
    with time_machine.travel(london(2026, 12, 1, 13, 1), tick=False), django_capture_on_commit_callbacks(execute=True):
        digest_send(digest=by_hand)
    by_hand.refresh_from_db()
    assert by_hand.status == Digest.Status.SENT
    assert by_hand.period_end == london(2026, 12, 1, 13, 1)
    assert sorted(m.to[0] for m in mailoutbox) == ["daily@example.com"]

    mailoutbox.clear()
    ArticleFactory(slug="afternoon-piece", topics=[markets], published_at=london(2026, 12, 1, 13, 5))
    pk = _run("daily", london(2026, 12, 2, 7, 0, 5), django_capture_on_commit_callbacks)
    assert pk != by_hand.pk
    digest = Digest.objects.get(pk=pk)
    assert digest.period_start == london(2026, 12, 1, 13, 1)
    assert [a.slug for a in digest.articles.all()] == ["afternoon-piece"]
    assert [m.to for m in mailoutbox] == [["daily@example.com"]]
    assert "/articles/afternoon-piece/" in mailoutbox[0].body


def test_an_edition_nobody_would_receive_is_not_sent(readers, mailoutbox, django_capture_on_commit_callbacks):
    _, policy = readers["topics"]
    readers["weekly"].delete()
    news = ArticleFactory(slug="news", topics=[policy], published_at=london(2026, 11, 29, 12))
    edition = Digest.objects.create(
        cadence="weekly", period_start=london(2026, 11, 23, 7), period_end=london(2026, 11, 30, 7), subject="Weekly"
    )
    edition.articles.set([news])
    with pytest.raises(NothingToSend, match="no active subscriber takes the weekly digest"):
        digest_send(digest=edition)
    edition.refresh_from_db()
    assert edition.status != Digest.Status.SENT and not Digest.objects.archived().exists()
    assert mailoutbox == []

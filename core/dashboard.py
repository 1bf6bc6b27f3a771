"""What the admin's front page shows: the state of the newsroom, read from the
database on each visit (a handful of small queries, for editors only)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from articles.models import Article
from digests.building import PERIOD, digest_slot
from digests.models import Digest
from newsletter.models import Subscriber

LISTED = 8  # drafts and latest published shown; every scheduled piece is shown


@dataclass
class NextDigest:
    cadence: str
    label: str
    sends_at: datetime
    period_start: datetime
    articles: list[Article]
    recipients: int
    prepared: Digest | None  # an edition an editor already made for that slot


@dataclass
class Newsroom:
    drafts: list[Article]
    drafts_count: int
    scheduled: list[Article]
    published: list[Article]
    published_count: int
    week_start: datetime
    subscribers_gained: int
    subscribers_lost: int
    subscribers_active: int
    digests: list[NextDigest]


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of this week, site time."""
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    monday = (local - timedelta(days=local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=ZoneInfo(settings.TIME_ZONE))


def next_digest(*, cadence: str, now: datetime) -> NextDigest:
    """The next edition of a cadence as digest_build() will make it: due at the next
    send time, holding what is published (or scheduled to be) since the previous
    edition went out. An edition already built for a slot that has come but not
    yet gone out is the next one."""
    current = digest_slot(cadence=cadence, now=now)
    waiting = (
        Digest.objects.filter(cadence=cadence, period_end=current)
        .exclude(status__in=[Digest.Status.SENDING, Digest.Status.SENT])
        .first()
    )
    slot = current if waiting is not None else digest_slot(cadence=cadence, now=current + PERIOD[cadence])
    prepared = waiting or Digest.objects.filter(cadence=cadence, period_end=slot).first()
    previous = Digest.objects.previous_edition(cadence=cadence, before=slot)
    start = previous.period_end if previous else slot - PERIOD[cadence]
    if prepared is not None and prepared.articles.exists():
        articles = prepared.articles.order_by("-published_at", "-pk")
    else:
        articles = Article.objects.dated_between(start, slot).order_by("-published_at", "-pk")
    return NextDigest(
        cadence=cadence,
        label=Subscriber.Cadence(cadence).label,
        sends_at=slot,
        period_start=start,
        articles=list(articles.only("pk", "title", "slug", "status", "published_at")),
        recipients=Subscriber.objects.active().filter(cadence=cadence).count(),
        prepared=prepared,
    )


def newsroom_dashboard() -> Newsroom:
    now = timezone.now()
    articles = Article.objects.defer("body", "body_text", "search_vector").select_related("author")
    drafts = articles.drafts().order_by("-updated_at", "-pk")
    published = articles.published()
    monday = week_start(now)
    subscribers = Subscriber.objects.all()
    return Newsroom(
        drafts=list(drafts[:LISTED]),
        drafts_count=drafts.count(),
        scheduled=list(articles.scheduled().order_by("published_at", "pk")),
        published=list(published.order_by("-published_at", "-pk")[:LISTED]),
        published_count=published.count(),
        week_start=monday,
        subscribers_gained=subscribers.active().filter(confirmed_at__gte=monday).count(),
        subscribers_lost=subscribers.filter(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at__gte=monday).count(),
        subscribers_active=subscribers.active().count(),
        digests=[next_digest(cadence=cadence, now=now) for cadence in Subscriber.Cadence.values],
    )

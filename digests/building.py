"""Editions: when each cadence's is due, what goes into it and who gets it.

An edition's articles are whatever was put in it (by the schedule, an editor or code):
the relation holds no rule. Every mail, preview, test and archive page reads them
through `published()` at that moment, so an article that is a draft, scheduled for
later, unpublished or moved to a later date after it was picked goes out to nobody;
`edition_contents` also says which were left out and why, for the editor.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from articles.models import Article, PublicationState
from newsletter.models import Subscriber

from .models import Digest

SEND_HOUR = 7  # local time of the site, for both cadences
PERIOD = {Subscriber.Cadence.DAILY: timedelta(days=1), Subscriber.Cadence.WEEKLY: timedelta(days=7)}


class NothingToSend(ValueError):
    """The edition can't go out now: none of its articles may, or nobody would receive it."""

    @classmethod
    def because(cls, withheld: "list[Withheld]") -> "NothingToSend":
        reasons = "; ".join(f"“{w.title}”: {w.reason}" for w in withheld)
        return cls("Nothing to send: this edition has no published article" + (f" ({reasons})." if reasons else "."))


@dataclass(frozen=True)
class Withheld:
    article_id: int
    title: str
    reason: str

    def as_record(self) -> dict:
        return {"article": self.article_id, "title": self.title, "reason": self.reason}


@dataclass(frozen=True)
class EditionContents:
    articles: list[Article]  # published and due, newest first
    withheld: list[Withheld]


def withheld_reason(article: Article, *, now: datetime | None = None) -> str | None:
    """Why this article may not be mailed now, or None when it may."""
    state = article.publication_state_at(now or timezone.now())
    if state is PublicationState.DRAFT:
        return "it is a draft (not published, or unpublished after it was picked)"
    if state is PublicationState.SCHEDULED:
        when = date_filter(timezone.localtime(article.published_at), "j F Y, H:i") if article.published_at else "later"
        return f"it is scheduled for {when} (not published yet, or moved later after it was picked)"
    return None


def edition_contents(digest: Digest, *, now: datetime | None = None) -> EditionContents:
    """The articles this edition may carry now, and the ones it must leave out (with why)."""
    now = now or timezone.now()
    chosen = list(
        digest.articles.all()
        .select_related("author")
        .prefetch_related("topics")
        .defer("body", "body_text", "search_vector")
        .order_by("-published_at", "-pk")
    )
    articles, withheld = [], []
    for article in chosen:
        reason = withheld_reason(article, now=now)
        if reason is None:
            articles.append(article)
        else:
            withheld.append(Withheld(article_id=article.pk, title=article.title, reason=reason))
    return EditionContents(articles=articles, withheld=withheld)


def digest_withheld_record(*, digest: Digest, withheld: list[Withheld]) -> None:
    """Add to what the edition records as left out (an article unpublished while it goes out, too)."""
    known = {entry["article"] for entry in digest.withheld}
    new = [entry.as_record() for entry in withheld if entry.article_id not in known]
    if not new:
        return
    with transaction.atomic():
        current = Digest.objects.select_for_update().only("withheld").get(pk=digest.pk)
        known = {entry["article"] for entry in current.withheld}
        current.withheld = [*current.withheld, *(entry for entry in new if entry["article"] not in known)]
        Digest.objects.filter(pk=digest.pk).update(withheld=current.withheld)
    digest.withheld = current.withheld


def edition_recipients(digest: Digest):
    """Active subscribers who get this edition: for a digest, those of its cadence; for a single
    article, everyone; in both cases only those whose topics include one of its articles that
    may go out now (no topic chosen means every topic)."""
    live = Article.objects.published().filter(digests=digest)
    topic_ids = Article.topics.through.objects.filter(article__in=live).values("topic_id")
    chosen = Subscriber.topics.through.objects.filter(subscriber=OuterRef("pk"))
    recipients = Subscriber.objects.active().filter(~Exists(chosen) | Exists(chosen.filter(topic_id__in=topic_ids)))
    if digest.kind == Digest.Kind.DIGEST:
        recipients = recipients.filter(cadence=digest.cadence)
    return recipients.filter(Exists(live))


def article_edition_create(*, article: Article, intro: str = "") -> tuple[Digest, bool]:
    """The single-article edition of this article, created as a draft if it has none yet.

    Returns (edition, created). One per article (a unique constraint), so however often an
    editor asks, each subscriber gets the article mailed on its own at most once.
    """
    reason = withheld_reason(article)
    if reason is not None:
        raise NothingToSend(f"“{article.title}” can't be sent: {reason}.")
    existing = Digest.objects.filter(kind=Digest.Kind.ARTICLE, article=article).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        with transaction.atomic():
            edition = Digest.objects.create(
                kind=Digest.Kind.ARTICLE,
                article=article,
                cadence="",
                period_start=article.published_at,
                period_end=now,
                subject=" ".join(article.title.split())[:200],
                intro=intro,
                status=Digest.Status.DRAFT,
            )
            edition.articles.set([article])
    except IntegrityError:
        # Someone created it a moment ago.
        return Digest.objects.get(kind=Digest.Kind.ARTICLE, article=article), False
    return edition, True


def digest_slot(*, cadence: str, now: datetime | None = None) -> datetime:
    """The scheduled send time of the edition due at `now`: the latest 07:00 (daily) or
    Monday 07:00 (weekly) in the site's time zone that is not after `now`."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(now or timezone.now(), zone)
    slot = local.replace(hour=SEND_HOUR, minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= timedelta(days=1)
    if cadence == Subscriber.Cadence.WEEKLY:
        slot -= timedelta(days=slot.weekday())
    # Rebuild from the wall-clock date so a DST change in between keeps 07:00 local.
    return datetime(slot.year, slot.month, slot.day, SEND_HOUR, tzinfo=zone)


def digest_default_subject(*, cadence: str, period_end: datetime, count: int) -> str:
    day = date_filter(timezone.localtime(period_end), "j F Y")
    label = "Weekly" if cadence == Subscriber.Cadence.WEEKLY else "Daily"
    noun = "insight" if count == 1 else "insights"
    return f"Vivold {label}: {count} new {noun} · {day}"


def digest_build(*, cadence: str, now: datetime | None = None) -> Digest | None:
    """The edition due now for this cadence, created if need be; None when the period is empty.

    Calling it again for the same slot returns the same edition (one per cadence and
    period, enforced by a unique constraint). An edition an editor prepared for the slot
    (status draft or scheduled, with an intro) is used and filled with the period's articles.
    """
    slot = digest_slot(cadence=cadence, now=now)
    with transaction.atomic():
        digest = (
            Digest.objects.select_for_update().filter(kind=Digest.Kind.DIGEST, cadence=cadence, period_end=slot).first()
        )
        if digest is not None and digest.status in (Digest.Status.SENDING, Digest.Status.SENT):
            return digest
        previous = Digest.objects.previous_edition(cadence=cadence, before=slot)
        start = previous.period_end if previous else slot - PERIOD[cadence]
        articles = list(
            Article.objects.published()
            .filter(published_at__gt=start, published_at__lte=slot)
            .order_by("-published_at", "-pk")
            .values_list("pk", flat=True)
        )
        if not articles and not (digest and digest.articles.exists()):
            return None
        if digest is None:
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(
                        cadence=cadence,
                        period_start=start,
                        period_end=slot,
                        subject=digest_default_subject(cadence=cadence, period_end=slot, count=len(articles)),
                        status=Digest.Status.SCHEDULED,
                    )
            except IntegrityError:
                # Another run built this edition a moment ago (one per cadence and period).
                return Digest.objects.get(kind=Digest.Kind.DIGEST, cadence=cadence, period_end=slot)
        else:
            digest.period_start = start
            digest.status = Digest.Status.SCHEDULED
            if not digest.subject:
                digest.subject = digest_default_subject(cadence=cadence, period_end=slot, count=len(articles))
            digest.save(update_fields=["period_start", "status", "subject"])
        if not digest.articles.exists():
            digest.articles.set(articles)
    return digest

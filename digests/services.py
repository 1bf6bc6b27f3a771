"""Building digests and delivering them exactly once.

The ledger (Delivery) holds one row per (digest, subscriber), created in one
INSERT … SELECT. Workers claim batches of pending rows with
SELECT … FOR UPDATE SKIP LOCKED, send a batch over one SMTP connection and mark
each row sent as soon as the server has accepted it, so a crash repeats at most
the message in flight. Rows left in "sending" by a crashed worker are handed
back by a periodic sweep.
"""

import logging
import random
import re
import smtplib
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import make_msgid, sanitize_address
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from insights.links import digest_article_url
from newsletter.emails import absolute, render_mail, subscriber_links, subscriber_message
from newsletter.models import Subscriber
from newsletter.services import subscriber_record_hard_bounce

from .building import NothingToSend, digest_withheld_record, edition_contents, edition_recipients
from .models import Delivery, Digest

logger = logging.getLogger(__name__)

SEND_HOUR = 7  # local time of the site, for both cadences
PERIOD = {Subscriber.Cadence.DAILY: timedelta(days=1), Subscriber.Cadence.WEEKLY: timedelta(days=7)}

# Placeholders for the only per-subscriber parts of a mail; replaced by plain string substitution.
UNSUBSCRIBE_PLACEHOLDER = "__vivold_unsubscribe_url__"
PREFERENCES_PLACEHOLDER = "__vivold_preferences_url__"


def _setting(name: str, default):
    return getattr(settings, name, default)


# ---------------------------------------------------------------------------
# Building an edition


def digest_slot(*, cadence: str, now: datetime | None = None) -> datetime:
    """The scheduled send time of the edition due at `now`: the latest 07:00 (daily) or
    Monday 07:00 (weekly) in the site's time zone that is not after `now`."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(now or timezone.now(), zone)
    slot = local.replace(hour=SEND_HOUR, minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= timedelta(days=1)
    if cadence == Subscriber.Cadence.WEEKLY:
        slot -= timedelta(days=slot.weekday())  # back to Monday
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


def digest_recipients(digest: Digest):
    """Active subscribers for whom the edition holds at least one article that may go out now
    (a digest: of its cadence; a single article: whatever their cadence)."""
    return edition_recipients(digest)


def deliveries_create(*, digest: Digest) -> int:
    """Write the ledger in one INSERT … SELECT (no subscriber list in Python). Returns its size."""
    select_sql, params = digest_recipients(digest).order_by().values(recipient_id=F("pk")).query.sql_with_params()
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (digest_id, subscriber_id, status, attempts, last_error) "  # noqa: S608
            f"SELECT %s, recipient.recipient_id, %s, 0, '' FROM ({select_sql}) AS recipient WHERE true "
            "ON CONFLICT (digest_id, subscriber_id) DO NOTHING",
            [digest.pk, Delivery.Status.PENDING, *params],
        )
    return Delivery.objects.filter(digest=digest).count()


def digest_send(*, digest: Digest) -> Digest:
    """Start sending: write the ledger and hand it to the workers. Idempotent: an edition
    already sending only gets its workers woken, a sent one is left alone.

    Raises NothingToSend when none of its articles may go out now (drafts, scheduled);
    those left out of an edition that does go are recorded in `digest.withheld`.
    """
    from .tasks import deliveries_send_task

    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest.pk)
        if digest.status == Digest.Status.SENT:
            return digest
        if digest.status != Digest.Status.SENDING:
            contents = edition_contents(digest)
            if not contents.articles:
                reasons = "; ".join(f"“{w.title}”: {w.reason}" for w in contents.withheld)
                raise NothingToSend(
                    "Nothing to send: this edition has no published article" + (f" ({reasons})." if reasons else ".")
                )
            digest.status = Digest.Status.SENDING
            digest.started_at = timezone.now()
            digest.withheld = [entry.as_record() for entry in contents.withheld]
            digest.save(update_fields=["status", "started_at", "withheld"])
            digest.recipients_count = deliveries_create(digest=digest)
            digest.save(update_fields=["recipients_count"])
        for _ in range(_setting("DIGEST_SEND_LANES", 4)):
            deliveries_send_task.delay_on_commit(digest.pk)
    return digest


def digest_finish(*, digest: Digest) -> bool:
    """Mark the edition sent once no row is pending or in flight. True if this call did it."""
    counts = Delivery.objects.filter(digest=digest).progress()
    if counts["remaining"]:
        return False
    updated = Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
        status=Digest.Status.SENT,
        sent_at=timezone.now(),
        sent_count=counts[Delivery.Status.SENT],
        failed_count=counts[Delivery.Status.FAILED],
    )
    return bool(updated)


# ---------------------------------------------------------------------------
# Rendering: once per edition and article selection, personalized by substitution


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str

    def personalize(self, links: dict[str, str]) -> tuple[str, str]:
        text, html = self.text, self.html
        for placeholder, url in (
            (UNSUBSCRIBE_PLACEHOLDER, links["unsubscribe_url"]),
            (PREFERENCES_PLACEHOLDER, links["preferences_url"]),
        ):
            text = text.replace(placeholder, url)
            html = html.replace(placeholder, url)
        return text, html


def digest_render(*, digest: Digest, articles: list[Article]) -> RenderedDigest:
    for article in articles:
        article.digest_url = digest_article_link(digest=digest, article=article)
    context = {
        "digest": digest,
        "articles": articles,
        "article": articles[0] if articles else None,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "archive_url": absolute(reverse("digests:detail", kwargs={"pk": digest.pk})),
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "preferences_url": PREFERENCES_PLACEHOLDER,
    }
    template = "digests/email/article" if digest.kind == Digest.Kind.ARTICLE else "digests/email/digest"
    text, html = render_mail(template, context)
    return RenderedDigest(subject=digest.subject, text=text, html=html)


def digest_article_link(*, digest: Digest, article: Article) -> str:
    """Where a digest links to an article: through the counted, signed redirect (one click per
    edition and article, not who clicked), or straight to it for an edition not yet saved."""
    if digest.pk is None:
        return absolute(article.get_absolute_url())
    return digest_article_url(digest_id=digest.pk, slug=article.slug)


class DigestRenderer:
    """Picks each subscriber's articles and renders each distinct selection once.

    Only articles that may go out when it is built (published and due) are in any mail;
    `withheld` lists the others, with the reason.
    """

    def __init__(self, digest: Digest):
        self.digest = digest
        contents = edition_contents(digest)
        self.articles = contents.articles
        self.withheld = contents.withheld
        self._cache: dict[tuple[int, ...], RenderedDigest] = {}
        self._serialized: dict[int, SerializedDigest] = {}

    def articles_for(self, topic_ids: frozenset[int]) -> list[Article]:
        if not topic_ids:
            return self.articles
        return [a for a in self.articles if any(t.pk in topic_ids for t in a.topics.all())]

    def for_topics(self, topic_ids: frozenset[int]) -> RenderedDigest | None:
        articles = self.articles_for(topic_ids)
        if not articles:
            return None
        key = tuple(a.pk for a in articles)
        if key not in self._cache:
            self._cache[key] = digest_render(digest=self.digest, articles=articles)
        return self._cache[key]

    def serialized(self, rendered: RenderedDigest) -> "SerializedDigest":
        if id(rendered) not in self._serialized:
            self._serialized[id(rendered)] = SerializedDigest(rendered)
        return self._serialized[id(rendered)]


def digest_message(*, renderer: DigestRenderer, subscriber: Subscriber, topic_ids: frozenset[int], connection=None):
    """The mail this subscriber gets, or None when none of the edition's articles is theirs."""
    rendered = renderer.for_topics(topic_ids)
    if rendered is None:
        return None
    links = subscriber_links(subscriber)
    text, html = rendered.personalize(links)
    return subscriber_message(
        subscriber=subscriber,
        subject=rendered.subject,
        text=text,
        html=html,
        unsubscribe_url=links["unsubscribe_url"],
        connection=connection,
    )


ADDRESS_PLACEHOLDER = "vivold-recipient@placeholder.invalid"


class SerializedDigest:
    """One digest mail turned into bytes once, with the per-subscriber parts left as placeholders.

    Building and encoding a MIME message costs far more than the SMTP exchange, so for SMTP
    delivery each selection of articles is serialized once (through subscriber_message, the
    same builder every other path uses) and each subscriber's copy is made by substituting
    their address, links and a fresh Message-ID. `usable` is False when the encoding hid a
    placeholder (a body too long for 8-bit lines gets quoted-printable): then every mail is
    built in full instead.
    """

    def __init__(self, rendered: RenderedDigest):
        probe = Subscriber(pk=0, email=ADDRESS_PLACEHOLDER)
        links = {"unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER, "preferences_url": PREFERENCES_PLACEHOLDER}
        text, html = rendered.personalize(links)
        message = subscriber_message(
            subscriber=probe, subject=rendered.subject, text=text, html=html, unsubscribe_url=UNSUBSCRIBE_PLACEHOLDER
        )
        mime = message.message()
        self.message_id = mime["Message-ID"]
        self.raw = mime.as_bytes(linesep="\r\n")
        self.from_email = sanitize_address(message.from_email, message.encoding or settings.DEFAULT_CHARSET)
        expected = {
            ADDRESS_PLACEHOLDER: 1,
            UNSUBSCRIBE_PLACEHOLDER: 1 + text.count(UNSUBSCRIBE_PLACEHOLDER) + html.count(UNSUBSCRIBE_PLACEHOLDER),
            PREFERENCES_PLACEHOLDER: text.count(PREFERENCES_PLACEHOLDER) + html.count(PREFERENCES_PLACEHOLDER),
            self.message_id: 1,
        }
        self.usable = all(self.raw.count(key.encode()) == n for key, n in expected.items())
        self._pattern = re.compile(b"|".join(re.escape(key.encode()) for key in expected))

    def bytes_for(self, *, email: str, links: dict[str, str]) -> bytes:
        values = {
            ADDRESS_PLACEHOLDER.encode(): email.encode(),
            UNSUBSCRIBE_PLACEHOLDER.encode(): links["unsubscribe_url"].encode(),
            PREFERENCES_PLACEHOLDER.encode(): links["preferences_url"].encode(),
            self.message_id.encode(): make_msgid(domain=DNS_NAME).encode(),
        }
        return self._pattern.sub(lambda match: values[match.group()], self.raw)


def _plain_address(email: str) -> bool:
    """An address that goes into headers as it is (anything else takes the full builder)."""
    return email.isascii() and not any(c.isspace() or c in '<>",;' for c in email)


def subscriber_topic_ids(subscriber_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    chosen: dict[int, set[int]] = {}
    rows = Subscriber.topics.through.objects.filter(subscriber_id__in=list(subscriber_ids))
    for subscriber_id, topic_id in rows.values_list("subscriber_id", "topic_id"):
        chosen.setdefault(subscriber_id, set()).add(topic_id)
    return {pk: frozenset(ids) for pk, ids in chosen.items()}


def digest_preview(*, digest: Digest, subscriber: Subscriber):
    """The mail exactly as this subscriber would get it (None if nothing in it is theirs)."""
    topic_ids = subscriber_topic_ids([subscriber.pk]).get(subscriber.pk, frozenset())
    return digest_message(renderer=DigestRenderer(digest), subscriber=subscriber, topic_ids=topic_ids)


def digest_send_test(*, digest: Digest, email: str) -> None:
    """Send the full edition (every article) to an editor's address, marked as a test."""
    renderer = DigestRenderer(digest)
    rendered = renderer.for_topics(frozenset())
    if rendered is None:
        reasons = "; ".join(f"“{w.title}”: {w.reason}" for w in renderer.withheld)
        raise NothingToSend(
            "Nothing to send: this edition has no published article" + (f" ({reasons})." if reasons else ".")
        )
    probe = Subscriber(email=email)  # never saved: its links only need to look right
    text, html = rendered.personalize({"unsubscribe_url": absolute("/"), "preferences_url": absolute("/")})
    message = subscriber_message(
        subscriber=probe, subject=f"[Test] {rendered.subject}", text=text, html=html, unsubscribe_url=absolute("/")
    )
    message.send()


# ---------------------------------------------------------------------------
# Delivering


class TemporaryFailure(Exception):
    """The mail server can't take mail now (4xx, connection lost): retry later with backoff."""


def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter (half fixed, half random), capped."""
    base = _setting("DIGEST_RETRY_BASE_SECONDS", 2.0)
    cap = _setting("DIGEST_RETRY_MAX_SECONDS", 600.0)
    delay = min(cap, base * 2 ** max(0, attempt))
    return delay / 2 + random.uniform(0, delay / 2)


def deliveries_claim(*, digest: Digest, size: int, after: int = 0) -> list[tuple[int, int]]:
    """Take up to `size` due pending rows for this worker: [(delivery id, subscriber id)], in id order.

    SKIP LOCKED lets many workers claim side by side without waiting on each other;
    SQLite has no row locks and runs one writer at a time, so there the plain claim is safe.
    `after` (the last id this worker claimed) keeps each claim from walking again over
    the rows already sent, whose old index entries linger until vacuum.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(digest=digest, status=Delivery.Status.PENDING, pk__gt=after)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("pk")
            .values_list("pk", "subscriber_id")[:size]
        )
        if rows:
            Delivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return rows


def _mark(pk: int, status: str, *, last_error: str = "") -> None:
    """Record one row's outcome at once (autocommit), so a crash repeats at most the mail in flight.

    Plain SQL: this runs once per mail. Only a row this worker still holds is
    changed: one the sweeper took back belongs to its new owner.
    """
    sent_at = timezone.now() if status == Delivery.Status.SENT else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, last_error = %s "  # noqa: S608
            "WHERE id = %s AND status = %s",
            [status, sent_at, last_error[:500], pk, Delivery.Status.SENDING],
        )


@contextmanager
def _fast_commits():
    """Within a batch, don't wait for each mark's WAL flush (PostgreSQL synchronous_commit off).

    A committed mark is visible to every other worker at once, so a worker crash
    loses nothing; only a crash of the database server itself could forget the last
    fraction of a second of marks, which would then be sent again.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _release(pks: list[int], *, error: str = "", delay: float = 0) -> None:
    if pks:
        Delivery.objects.filter(pk__in=pks, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING,
            claimed_at=None,
            last_error=error[:500],
            next_attempt_at=timezone.now() + timedelta(seconds=delay) if delay else None,
        )


def _smtp_code(error: Exception) -> tuple[int, str]:
    """The SMTP reply code (0 for a network error) and a readable description."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (451, b""))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, error.smtp_error
    else:
        return 0, f"{type(error).__name__}: {error}"
    return code, f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _refused(*, pk: int, subscriber_id: int, error: Exception, attempts: int) -> str:
    """Record one refused message; returns "failed", "deferred", or "session" when the
    whole connection is unusable and the rest of the batch must wait."""
    code, text = _smtp_code(error)
    per_recipient = isinstance(error, smtplib.SMTPRecipientsRefused)
    if code >= 500:
        _mark(pk, Delivery.Status.FAILED, last_error=text[:500])
        subscriber_record_hard_bounce(subscriber_id=subscriber_id)
        return "failed"
    if not per_recipient:
        return "session"
    if attempts >= _setting("DIGEST_MAX_ATTEMPTS", 8):
        _mark(pk, Delivery.Status.FAILED, last_error=text[:500])
        return "failed"
    _release([pk], error=text, delay=retry_delay(attempts))
    return "deferred"


def _sendmail(smtp: smtplib.SMTP, sender: str, recipient: str, raw: bytes) -> None:
    """smtplib's sendmail for one recipient, with MAIL, RCPT and DATA in one round trip
    when the server offers PIPELINING (RFC 2920). Raises the same exceptions as sendmail."""
    if not (smtp.does_esmtp and smtp.has_extn("pipelining")):
        smtp.sendmail(sender, [recipient], raw)
        return
    smtp.send(f"MAIL FROM:{smtplib.quoteaddr(sender)}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n")
    mail_reply, rcpt_reply, data_reply = smtp.getreply(), smtp.getreply(), smtp.getreply()
    accepted = mail_reply[0] == 250 and rcpt_reply[0] in (250, 251)
    if data_reply[0] == 354 and not accepted:
        smtp.send(b".\r\n")  # a server that took DATA anyway gets an empty message, then RSET
        smtp.getreply()
    if not accepted or data_reply[0] != 354:
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass
        if mail_reply[0] != 250:
            raise smtplib.SMTPSenderRefused(*mail_reply, sender)
        if not accepted:
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt_reply})
        raise smtplib.SMTPDataError(*data_reply)
    quoted = re.sub(rb"(?m)^\.", b"..", raw)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    smtp.send(quoted + b".\r\n")
    code, text = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, text)


def _send_one(*, mail, renderer: DigestRenderer, rendered: RenderedDigest, subscriber: Subscriber) -> None:
    links = subscriber_links(subscriber)
    if isinstance(mail, SmtpBackend) and _plain_address(subscriber.email):
        serialized = renderer.serialized(rendered)
        if serialized.usable:
            raw = serialized.bytes_for(email=subscriber.email, links=links)
            _sendmail(mail.connection, serialized.from_email, subscriber.email, raw)
            return
    text, html = rendered.personalize(links)
    message = subscriber_message(
        subscriber=subscriber,
        subject=rendered.subject,
        text=text,
        html=html,
        unsubscribe_url=links["unsubscribe_url"],
        connection=mail,
    )
    mail.send_messages([message])


def deliveries_send_batch(
    *, digest: Digest, renderer: DigestRenderer, claimed: list[tuple[int, int]], on_progress: Callable | None = None
) -> dict[str, int]:
    """Send the claimed rows over one SMTP connection, marking each as it goes.

    A 5xx marks that row failed and counts a hard bounce; a 4xx for one address puts
    that row back with a backoff; a 4xx for the whole session or a lost connection puts
    back the rest of the batch and raises TemporaryFailure so the caller retries later.
    """
    counts = {"sent": 0, "failed": 0, "skipped": 0, "deferred": 0}
    subscribers = Subscriber.objects.only("pk", "email", "status").in_bulk([sid for _, sid in claimed])
    topics = subscriber_topic_ids(subscribers)
    outstanding = [pk for pk, _ in claimed]
    attempts = dict(Delivery.objects.filter(pk__in=outstanding).values_list("pk", "attempts"))
    mail = get_connection()
    try:
        mail.open()
    except (OSError, smtplib.SMTPException) as error:
        _release(outstanding, error=_smtp_code(error)[1])
        raise TemporaryFailure(str(error)) from error
    with _fast_commits():
        try:
            for pk, subscriber_id in claimed:
                subscriber = subscribers.get(subscriber_id)
                rendered = None
                if subscriber is not None and subscriber.status == Subscriber.Status.ACTIVE:
                    rendered = renderer.for_topics(topics.get(subscriber_id, frozenset()))
                if rendered is None:
                    _mark(pk, Delivery.Status.SKIPPED)
                    outcome = "skipped"
                else:
                    try:
                        _send_one(mail=mail, renderer=renderer, rendered=rendered, subscriber=subscriber)
                    except (OSError, smtplib.SMTPException) as error:
                        tries = attempts.get(pk, 1)
                        outcome = _refused(pk=pk, subscriber_id=subscriber_id, error=error, attempts=tries)
                        if outcome == "session":
                            _release(outstanding, error=_smtp_code(error)[1])
                            raise TemporaryFailure(_smtp_code(error)[1]) from error
                    else:
                        _mark(pk, Delivery.Status.SENT)
                        outcome = "sent"
                        if on_progress:
                            on_progress(1)
                outstanding.remove(pk)
                counts[outcome] += 1
        finally:
            try:
                mail.close()
            except (OSError, smtplib.SMTPException):
                logger.warning("closing the SMTP connection failed", exc_info=True)
    return counts


def deliveries_send(*, digest: Digest, deadline: float | None = None, on_progress: Callable | None = None) -> str:
    """Claim and send batches until none is left or `deadline` (time.monotonic()) passes.

    Returns "done" (edition finished), "more" (work left, call again) or "waiting"
    (only rows waiting for a retry time are left).
    """
    size = _setting("DIGEST_BATCH_SIZE", 100)
    renderer = DigestRenderer(digest)  # the embargo checked again, as each lane starts
    digest_withheld_record(digest=digest, withheld=renderer.withheld)
    after = 0
    while deadline is None or time.monotonic() < deadline:
        claimed = deliveries_claim(digest=digest, size=size, after=after)
        if not claimed and after:
            after = 0  # once more from the start, for rows put back for a retry
            continue
        if not claimed:
            break
        after = claimed[-1][0]
        deliveries_send_batch(digest=digest, renderer=renderer, claimed=claimed, on_progress=on_progress)
    else:
        return "more"
    if digest_finish(digest=digest):
        return "done"
    if Delivery.objects.filter(digest=digest, status=Delivery.Status.PENDING).exists():
        return "waiting"
    return "done"  # the rest is in other workers' hands (or the sweeper's)


def next_retry_in(*, digest: Digest) -> float:
    """Seconds until the earliest row waiting for a retry is due."""
    due = (
        Delivery.objects.filter(digest=digest, status=Delivery.Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if due is None:
        return 0.0
    return max(0.0, (due - timezone.now()).total_seconds())


def deliveries_reclaim(*, older_than: timedelta | None = None) -> list[int]:
    """Hand back rows stuck in "sending" (their worker died) and restart stalled editions.

    Returns the ids of the editions given new workers.
    """
    from .tasks import deliveries_send_task

    if older_than is None:
        older_than = timedelta(seconds=_setting("DIGEST_CLAIM_TIMEOUT_SECONDS", 300))
    cutoff = timezone.now() - older_than
    Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff).update(
        status=Delivery.Status.PENDING, claimed_at=None, last_error="reclaimed after a stalled send"
    )
    restarted = []
    for digest in Digest.objects.filter(status=Digest.Status.SENDING):
        if digest_finish(digest=digest):
            continue
        deliveries = Delivery.objects.filter(digest=digest)
        # Rows still in flight mean a live worker holds this edition; it carries on by itself.
        if deliveries.filter(status=Delivery.Status.SENDING).exists():
            continue
        # Extra workers are harmless: each only claims what nobody holds.
        for _ in range(_setting("DIGEST_SEND_LANES", 4)):
            deliveries_send_task.delay_on_commit(digest.pk)
        restarted.append(digest.pk)
    return restarted


def digests_due_send(*, cadence: str, now: datetime | None = None) -> Digest | None:
    """What beat runs at 07:00: build this cadence's edition and send it (nothing if empty)."""
    digest = digest_build(cadence=cadence, now=now)
    if digest is None:
        logger.info("no %s digest: nothing was published in the period", cadence)
        return None
    try:
        return digest_send(digest=digest)
    except NothingToSend as error:
        logger.warning("%s digest %s not sent: %s", cadence, digest.pk, error)
        return None

"""Every change to a subscriber goes through here.

The status machine (one field, timestamps recording when each step last happened):

    (new) ──request──▶ pending ──confirm──▶ active
    pending / active ──unsubscribe──▶ unsubscribed
    any ──suppress (bounces, complaints)──▶ suppressed
    unsubscribed / suppressed ──confirm anew──▶ active

A request to subscribe never changes a stored subscriber's status, topics or
cadence: whoever typed the address, only the mailbox's owner, by confirming,
makes it active again.

Signup: the form writes a SignupRequest and queues a task, the same work for every address;
the task (signup_request_process) looks the address up and does the rest. Mail: every mail to
a subscriber is a SubscriberMail row in the same transaction as the change that asks for it,
sent by a task that claims the row, so it is sent once and never lost: the sweeper
(subscriber_mails_sweep, from beat) queues again what a lost task or a dead worker left.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.utils import timezone

from articles.models import Topic

from .models import SignupRequest, Subscriber, SubscriberMail, normalize_email

# The counter is a PositiveSmallIntegerField.
HARD_BOUNCE_COUNT_MAX = 32767

if TYPE_CHECKING:
    from .transfer import ImportRow

logger = logging.getLogger(__name__)

# A pending address asked for again gets at most one confirmation mail per hour, so nobody can
# use the form to flood a mailbox; one that asked us to stop (unsubscribed, suppressed) at most
# one a day, however often strangers type it in.
CONFIRMATION_RESEND_INTERVAL = timedelta(hours=1)
LAPSED_RESEND_INTERVAL = timedelta(days=1)

# Statuses a confirmation mail may go to: the person has to be able to confirm anew.
AWAITING_CONFIRMATION = (Subscriber.Status.PENDING, Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.SUPPRESSED)


def signup_request_create(
    *,
    email: str,
    topics: list[Topic],
    source: str = "",
    ip: str | None = None,
    cadence: str = Subscriber.Cadence.WEEKLY,
    origin_referrer: str | None = None,
) -> SignupRequest:
    """Record a request to subscribe and queue its processing: one INSERT and one queued task,
    whatever the address, so the answer's timing says nothing about it. Call it outside a
    transaction (the worker must see the row); if the broker can't take the task now, the
    request waits in the database for the sweeper."""
    now = timezone.now()
    request = SignupRequest.objects.create(
        email=email.strip(),
        cadence=cadence,
        topic_ids=[topic.pk for topic in topics],
        consent_source=source[:500],
        consent_ip=ip,
        origin_referrer=None if origin_referrer is None else origin_referrer[:120],
        created_at=now,
        queued_at=now,
    )
    from .tasks import signup_request_process_task

    _queue(signup_request_process_task, request.pk)
    return request


def signup_request_process(*, request_id: int) -> Subscriber | None:
    """Turn a recorded request into a subscriber (and a confirmation mail, when one is due).

    Idempotent: the row is locked (SKIP LOCKED) and deleted in the same transaction, so a
    task queued twice for it does the work once. Returns None when there was nothing to do.
    """
    with transaction.atomic():
        request = SignupRequest.objects.select_for_update(skip_locked=True).filter(pk=request_id).first()
        if request is None:
            return None  # done already, or another worker holds it
        topics = list(Topic.objects.filter(pk__in=request.topic_ids))
        subscriber, created = subscriber_create(
            email=request.email,
            topics=topics,
            source=request.consent_source,
            ip=request.consent_ip,
            cadence=request.cadence,
            requested_at=request.created_at,
        )
        if created and request.origin_referrer is not None:
            from insights.services import signup_origin_record

            signup_origin_record(subscriber=subscriber, source=request.consent_source, referrer=request.origin_referrer)
        request.delete()
    return subscriber


def subscriber_create(
    *,
    email: str,
    topics: list[Topic],
    source: str = "",
    ip: str | None = None,
    cadence: str = Subscriber.Cadence.WEEKLY,
    requested_at=None,
) -> tuple[Subscriber, bool]:
    """Record a request to subscribe and send a confirmation. Returns the subscriber and whether it is new.

    An address we already know keeps its status, topics and cadence (another person's request
    must never change a stored subscriber); unless it is active, it is sent a fresh confirmation
    mail, at most once per CONFIRMATION_RESEND_INTERVAL (LAPSED_RESEND_INTERVAL if it unsubscribed
    or was suppressed).
    """
    normalized = normalize_email(email)
    existing = Subscriber.objects.filter(email_normalized=normalized).first()
    for _attempt in range(2):
        if existing is not None:
            break
        now = timezone.now()
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email.strip(),
                    cadence=cadence,
                    consent_source=source[:500],
                    consent_ip=ip,
                    consent_at=requested_at or now,
                    confirmation_sent_at=now,
                )
                subscriber.topics.set(topics)
                subscriber_mail_queue(subscriber=subscriber, kind=SubscriberMail.Kind.CONFIRMATION)
        except IntegrityError:
            # A concurrent request for the same address created it first (if that request then
            # rolled back, the row is gone again and the next attempt creates it).
            existing = Subscriber.objects.filter(email_normalized=normalized).first()
        else:
            logger.info("Subscriber %s signed up (pending)", subscriber.pk)
            return subscriber, True
    if existing is None:  # pragma: no cover - two concurrent rollbacks in a row
        raise IntegrityError("The subscriber could not be stored; please try again.")
    subscriber_confirmation_request(subscriber=existing)
    return existing, False


def subscriber_confirmation_request(*, subscriber: Subscriber) -> bool:
    """Send a new confirmation mail unless one went out lately. Returns whether one is on its way.

    The check and the stamp are one UPDATE, so concurrent requests send one mail between them;
    the stamp and the mail's ledger row commit together, so a stamped mail is never lost.
    """
    now = timezone.now()
    Status = Subscriber.Status
    due = (
        Q(confirmation_sent_at__isnull=True)
        | Q(status=Status.PENDING, confirmation_sent_at__lte=now - CONFIRMATION_RESEND_INTERVAL)
        | Q(status__in=[Status.UNSUBSCRIBED, Status.SUPPRESSED], confirmation_sent_at__lte=now - LAPSED_RESEND_INTERVAL)
    )
    with transaction.atomic():
        claimed = (
            Subscriber.objects.filter(pk=subscriber.pk, status__in=AWAITING_CONFIRMATION)
            .filter(due)
            .update(confirmation_sent_at=now)
        )
        if claimed:
            subscriber.confirmation_sent_at = now
            subscriber_mail_queue(subscriber=subscriber, kind=SubscriberMail.Kind.CONFIRMATION)
            logger.info("Subscriber %s asked again: new confirmation mail", subscriber.pk)
    return bool(claimed)


# ---------------------------------------------------------------------------
# Mail to one subscriber: the ledger, the send, the sweeper


class MailNotSent(Exception):
    """The SMTP server did not take the mail; the row is queued again for `retry_in` seconds
    from now, or failed for good when `final`. The message names the subscriber by id only."""

    def __init__(self, message: str, *, retry_in: float, final: bool):
        super().__init__(message)
        self.retry_in = retry_in
        self.final = final


# Waits between tries of one mail after the SMTP server refused it or could not be reached.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)


def _queue(task, object_id: int) -> bool:
    """Hand a task to the broker now. A broker that is down or hung costs the caller its short
    socket timeout, never an error: the row stays in the database and the sweeper queues it."""
    try:
        task.delay(object_id)
    except Exception:  # noqa: BLE001 - any broker failure: the database keeps the work
        logger.warning("%s %s not queued (broker unavailable): the sweeper will queue it", task.name, object_id)
        return False
    return True


def subscriber_mail_queue(*, subscriber: Subscriber, kind: str) -> SubscriberMail:
    """Write a mail's ledger row and queue its task once the transaction commits."""
    from .tasks import subscriber_mail_send_task

    mail = SubscriberMail.objects.create(subscriber=subscriber, kind=kind, due_at=timezone.now())
    transaction.on_commit(lambda: _queue(subscriber_mail_send_task, mail.pk))
    return mail


def _mail_message(mail: SubscriberMail):
    """The message this row stands for, or None when it is no longer wanted."""
    from .emails import confirmation_message, welcome_message

    subscriber = mail.subscriber
    if mail.kind == SubscriberMail.Kind.CONFIRMATION:
        return confirmation_message(subscriber=subscriber) if subscriber.status in AWAITING_CONFIRMATION else None
    return welcome_message(subscriber=subscriber) if subscriber.receives_mail else None


def subscriber_mail_send(*, mail_id: int) -> bool:
    """Send one ledger mail if it is still queued (called by the task). Returns whether it was sent.

    The claim is one UPDATE (queued → sending), so of two tasks for one row only one sends; the
    row is marked sent as soon as the server accepted the mail, so a crash repeats at most the
    mail in flight. Raises MailNotSent after an SMTP or network error (the row is queued again).
    """
    import smtplib

    now = timezone.now()
    claimed = SubscriberMail.objects.filter(pk=mail_id, status=SubscriberMail.Status.QUEUED).update(
        status=SubscriberMail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False  # sent already, or in another worker's hands
    mail = SubscriberMail.objects.select_related("subscriber").get(pk=mail_id)
    holding = SubscriberMail.objects.filter(pk=mail_id, status=SubscriberMail.Status.SENDING)
    message = _mail_message(mail)
    if message is None:
        holding.update(status=SubscriberMail.Status.SKIPPED)
        return False
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__} while mailing subscriber {mail.subscriber_id}"
    else:
        holding.update(status=SubscriberMail.Status.SENT, sent_at=timezone.now())
        logger.info("%s mail sent to subscriber %s", mail.get_kind_display(), mail.subscriber_id)
        return True
    # Outside the except block, so the SMTP error (which may quote the address) is not chained.
    final = mail.attempts > len(RETRY_DELAYS)
    retry_in = 0 if final else RETRY_DELAYS[mail.attempts - 1]
    if final:
        holding.update(status=SubscriberMail.Status.FAILED, last_error=error[:200])
    else:
        holding.update(
            status=SubscriberMail.Status.QUEUED,
            due_at=timezone.now() + timedelta(seconds=retry_in),
            claimed_at=None,
            last_error=error[:200],
        )
    raise MailNotSent(error, retry_in=retry_in, final=final)


def _queue_all(task, ids: list[int]) -> int:
    queued = 0
    for pk in ids:
        if not _queue(task, pk):
            break  # the broker is down: the rest waits for the next sweep
        queued += 1
    return queued


SWEEP_BATCH = 500


def subscriber_mails_sweep(*, now=None) -> dict[str, int]:
    """Queue again what lost its task: signup requests and queued mails that waited longer than
    NEWSLETTER_QUEUE_STALE_SECONDS (the broker was down, or the task died with a worker), and
    mails claimed longer than NEWSLETTER_CLAIM_TIMEOUT_SECONDS ago and never marked (their
    worker died while sending). Beat runs it every NEWSLETTER_SWEEP_SECONDS. A task queued
    twice is harmless: each claims its row first. Returns how many of each were queued.
    """
    from .tasks import signup_request_process_task, subscriber_mail_send_task

    now = now or timezone.now()
    stale = timedelta(seconds=settings.NEWSLETTER_QUEUE_STALE_SECONDS)
    Status = SubscriberMail.Status
    counts = {"requests": 0, "mails": 0}
    reclaimed = list(
        SubscriberMail.objects.filter(
            status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT_SECONDS)
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if reclaimed:
        SubscriberMail.objects.filter(pk__in=reclaimed, status=Status.SENDING).update(
            status=Status.QUEUED, due_at=now, claimed_at=None, last_error="claimed by a worker that stopped"
        )
        logger.warning("%s subscriber mails were claimed by a worker that stopped: queued again", len(reclaimed))
        counts["mails"] += _queue_all(subscriber_mail_send_task, reclaimed)
    for model, stamp, task, key, extra in (
        (SignupRequest, "queued_at", signup_request_process_task, "requests", {}),
        (SubscriberMail, "due_at", subscriber_mail_send_task, "mails", {"status": Status.QUEUED}),
    ):
        # Due once it has waited `stale`, and then as long again as it had waited when last
        # queued (twice the wait each time): a long backlog in the broker is not multiplied.
        next_at = ExpressionWrapper(F(stamp) + (F(stamp) - F("created_at")), output_field=DateTimeField())
        ids = list(
            model.objects.filter(**extra, **{f"{stamp}__lte": now - stale})
            .alias(next_at=next_at)
            .filter(next_at__lte=now)
            .order_by(stamp)
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if ids:
            # Stamped first: a row is not queued again at the next sweep, even if the broker fails now.
            model.objects.filter(pk__in=ids).update(**{stamp: now})
            counts[key] += _queue_all(task, ids)
    if counts["requests"] or counts["mails"]:
        logger.info("Sweeper queued %s signup requests and %s subscriber mails again", *counts.values())
    return counts


def subscriber_confirm(*, subscriber: Subscriber) -> Subscriber:
    """Pending, unsubscribed or suppressed to active, with a welcome mail. Confirming twice is harmless."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status != Subscriber.Status.ACTIVE:
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.confirmed_at = timezone.now()
            subscriber.hard_bounces = 0
            subscriber.save(update_fields=["status", "confirmed_at", "hard_bounces"])
            subscriber_mail_queue(subscriber=subscriber, kind=SubscriberMail.Kind.WELCOME)
            logger.info("Subscriber %s confirmed", subscriber.pk)
    return subscriber


def subscriber_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Stop all mail to this address. Idempotent; a suppressed address stays suppressed."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status in (Subscriber.Status.PENDING, Subscriber.Status.ACTIVE):
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = timezone.now()
            # Whoever changes their mind gets the confirmation mail at once (then at most one a day).
            subscriber.confirmation_sent_at = None
            subscriber.save(update_fields=["status", "unsubscribed_at", "confirmation_sent_at"])
            logger.info("Subscriber %s unsubscribed", subscriber.pk)
    return subscriber


def subscriber_suppress(*, subscriber: Subscriber, hard_bounce: bool = False) -> Subscriber:
    """Stop all mail after hard bounces or a complaint. Only confirming anew lifts it.

    `hard_bounce` also counts the bounce that caused it."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == Subscriber.Status.SUPPRESSED:
            return subscriber  # a replayed report changes nothing more
        if hard_bounce:
            subscriber.hard_bounces = min(subscriber.hard_bounces + 1, HARD_BOUNCE_COUNT_MAX)
        subscriber.status = Subscriber.Status.SUPPRESSED
        subscriber.suppressed_at = timezone.now()
        subscriber.save(update_fields=["status", "suppressed_at", "hard_bounces"])
        logger.info("Subscriber %s suppressed", subscriber.pk)
    return subscriber


def subscriber_record_hard_bounce(*, subscriber_id: int) -> None:
    """Count a permanent refusal; after DIGEST_HARD_BOUNCE_LIMIT of them the address gets
    no more mail. Two updates, no lock: workers record bounces while others send."""
    limit = settings.DIGEST_HARD_BOUNCE_LIMIT
    Subscriber.objects.filter(pk=subscriber_id, hard_bounces__lt=HARD_BOUNCE_COUNT_MAX).update(
        hard_bounces=F("hard_bounces") + 1
    )
    suppressed = Subscriber.objects.filter(
        pk=subscriber_id, hard_bounces__gte=limit, status__in=[Subscriber.Status.ACTIVE, Subscriber.Status.PENDING]
    ).update(status=Subscriber.Status.SUPPRESSED, suppressed_at=timezone.now())
    if suppressed:
        logger.info("Subscriber %s suppressed after %s hard bounces", subscriber_id, limit)


def subscriber_update_preferences(*, subscriber: Subscriber, cadence: str, topics: list[Topic]) -> Subscriber:
    """Change how often and about what; no topics means every topic. Status is left alone."""
    if cadence not in Subscriber.Cadence.values:
        raise ValueError(f"Unknown cadence {cadence!r}")
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        subscriber.cadence = cadence
        subscriber.save(update_fields=["cadence"])
        subscriber.topics.set(topics)
    return subscriber


def _import_row(row: "ImportRow", existing: Subscriber | None, report: "ImportReport") -> None:
    values = dict(row.values)
    created_at = values.pop("created_at", None)
    subscriber = existing or Subscriber()
    try:
        with transaction.atomic():
            subscriber.email = row.email
            for name, value in values.items():
                setattr(subscriber, name, value)
            subscriber.save()
            if created_at is not None:
                # auto_now_add sets the creation time on save; an import keeps the original.
                Subscriber.objects.filter(pk=subscriber.pk).update(created_at=created_at)
            if existing is not None or row.topics:
                subscriber.topics.set(row.topics)
    except DatabaseError as exc:
        report.errors.append(f"Line {row.line}: could not be saved ({type(exc).__name__}).")
        return
    if existing is None:
        report.created += 1
    else:
        report.updated += 1


IMPORT_CHUNK = 500


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def subscribers_import(*, rows: "list[ImportRow]") -> ImportReport:
    """Create or update one subscriber per checked CSV row, matched by address; each row whole or not at all.

    An import moves subscribers with their status and consent record: it sends no mail.
    """
    report = ImportReport()
    # One transaction, one savepoint per row: a refused row rolls back alone, and the file
    # commits once instead of once a row.
    with transaction.atomic():
        for start in range(0, len(rows), IMPORT_CHUNK):
            chunk = rows[start : start + IMPORT_CHUNK]
            existing = Subscriber.objects.select_for_update().in_bulk(
                [normalize_email(row.email) for row in chunk], field_name="email_normalized"
            )
            for row in chunk:
                _import_row(row, existing.get(normalize_email(row.email)), report)
    logger.info(
        "Subscribers imported: %s created, %s updated, %s rows refused",
        report.created,
        report.updated,
        len(report.errors),
    )
    return report

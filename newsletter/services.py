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
a subscriber is a row of the mail ledger (newsletter/mail_ledger.py) in the same transaction
as the change that asks for it, so it is sent once and never lost.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from articles.models import Topic

# The send and the sweep are the ledger's; newsletter/tasks.py calls them as services.*.
from .mail_ledger import subscriber_mail_queue, subscriber_mail_send, subscriber_mails_sweep, task_queue  # noqa: F401
from .models import SignupRequest, Subscriber, SubscriberMail, normalize_email
from .subscriber_csv import ImportRow

logger = logging.getLogger(__name__)

# A pending address asked for again gets at most one confirmation mail per hour, so nobody can
# use the form to flood a mailbox; one that asked us to stop (unsubscribed, suppressed) at most
# one a day, however often strangers type it in.
CONFIRMATION_RESEND_INTERVAL = timedelta(hours=1)
LAPSED_RESEND_INTERVAL = timedelta(days=1)


def _request_record(*, email: str, cadence: str, source: str, ip: str | None) -> dict:
    """How a request's address and consent are stored, on the request and on the subscriber."""
    return {"email": email.strip(), "cadence": cadence, "consent_source": source[:500], "consent_ip": ip}


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
        **_request_record(email=email, cadence=cadence, source=source, ip=ip),
        topic_ids=[topic.pk for topic in topics],
        origin_referrer=None if origin_referrer is None else origin_referrer[:120],
        created_at=now,
        queued_at=now,
    )
    from .tasks import signup_request_process_task

    task_queue(signup_request_process_task, request.pk)
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
                    **_request_record(email=email, cadence=cadence, source=source, ip=ip),
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
            Subscriber.objects.filter(pk=subscriber.pk, status__in=Subscriber.AWAITING_CONFIRMATION)
            .filter(due)
            .update(confirmation_sent_at=now)
        )
        if claimed:
            subscriber.confirmation_sent_at = now
            subscriber_mail_queue(subscriber=subscriber, kind=SubscriberMail.Kind.CONFIRMATION)
            logger.info("Subscriber %s asked again: new confirmation mail", subscriber.pk)
    return bool(claimed)


def subscriber_confirm(*, subscriber: Subscriber) -> Subscriber:
    """Pending, unsubscribed or suppressed to active, with a welcome mail. Confirming twice is harmless."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if not subscriber.receives_mail:
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
            subscriber.hard_bounces = min(subscriber.hard_bounces + 1, Subscriber.HARD_BOUNCES_MAX)
        subscriber.status = Subscriber.Status.SUPPRESSED
        subscriber.suppressed_at = timezone.now()
        subscriber.save(update_fields=["status", "suppressed_at", "hard_bounces"])
        logger.info("Subscriber %s suppressed", subscriber.pk)
    return subscriber


def subscriber_record_hard_bounce(*, subscriber_id: int) -> None:
    """Count a permanent refusal; after DIGEST_HARD_BOUNCE_LIMIT of them the address gets
    no more mail. Two updates, no lock: workers record bounces while others send."""
    limit = settings.DIGEST_HARD_BOUNCE_LIMIT
    Subscriber.objects.filter(pk=subscriber_id, hard_bounces__lt=Subscriber.HARD_BOUNCES_MAX).update(
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


def _import_row(row: ImportRow, existing: Subscriber | None, report: "ImportReport") -> None:
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


def subscribers_import(*, rows: list[ImportRow]) -> ImportReport:
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

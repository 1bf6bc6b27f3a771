"""The ledger of mails to one subscriber (confirmation, welcome): each mail a SubscriberMail row,
written in the same transaction as the change that asks for it and sent by a task that claims
the row, so it goes out once and is never lost; the sweeper (subscriber_mails_sweep, from beat)
queues again what a lost task or a dead worker left, signup requests included.

    queued ──claim──▶ sending ──accepted by the SMTP server──▶ sent
    sending ──refused or unreachable──▶ queued (after a RETRY_DELAYS wait), failed after the last
    sending ──no longer wanted (the subscriber's status changed)──▶ skipped
    sending ──its worker stopped (the sweeper)──▶ queued
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.utils import timezone

from .models import SignupRequest, Subscriber, SubscriberMail

logger = logging.getLogger(__name__)

# Waits between tries of one mail after the SMTP server refused it or could not be reached.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)
SWEEP_BATCH = 500


class MailNotSent(Exception):
    """The SMTP server did not take the mail; the row is queued again for `retry_in` seconds
    from now, or failed for good when `final`. The message names the subscriber by id only."""

    def __init__(self, message: str, *, retry_in: float, final: bool):
        super().__init__(message)
        self.retry_in = retry_in
        self.final = final


def task_queue(task, object_id: int) -> bool:
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
    transaction.on_commit(lambda: task_queue(subscriber_mail_send_task, mail.pk))
    return mail


def _mail_message(mail: SubscriberMail):
    """The message this row stands for, or None when it is no longer wanted."""
    from .emails import confirmation_message, welcome_message

    subscriber = mail.subscriber
    if mail.kind == SubscriberMail.Kind.CONFIRMATION:
        wanted = subscriber.status in Subscriber.AWAITING_CONFIRMATION
        return confirmation_message(subscriber=subscriber) if wanted else None
    return welcome_message(subscriber=subscriber) if subscriber.receives_mail else None


def subscriber_mail_send(*, mail_id: int) -> bool:
    """Send one ledger mail if it is still queued (called by the task). Returns whether it was sent.

    The claim is one UPDATE (queued → sending), so of two tasks for one row only one sends; the
    row is marked sent as soon as the server accepted the mail, so a crash repeats at most the
    mail in flight. Raises MailNotSent after an SMTP or network error (the row is queued again).
    """
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
        if not task_queue(task, pk):
            break  # the broker is down: the rest waits for the next sweep
        queued += 1
    return queued


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
    claim_timeout = timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT_SECONDS)
    Status = SubscriberMail.Status
    counts = {"requests": 0, "mails": 0}
    reclaimed = list(
        SubscriberMail.objects.filter(status=Status.SENDING, claimed_at__lt=now - claim_timeout).values_list(
            "pk", flat=True
        )[:SWEEP_BATCH]
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

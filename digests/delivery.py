"""Delivering an edition exactly once, over SMTP, through the ledger.

The ledger (Delivery) holds one row per (digest, subscriber), created in one
INSERT … SELECT. Lanes claim batches of pending rows with
SELECT … FOR UPDATE SKIP LOCKED, send a batch over one SMTP connection and mark
each row sent as soon as the server has accepted it, so a crash repeats at most
the message in flight. Rows left in "sending" by a crashed worker are handed
back by a periodic sweep.
"""

import logging
import random
import smtplib
import time
from contextlib import contextmanager
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from newsletter.models import Subscriber
from newsletter.services import subscriber_record_hard_bounce

from .building import digest_withheld_record, edition_recipients
from .models import Delivery, Digest
from .rendering import DigestRenderer, subscriber_topic_ids
from .smtp import SerializedDigest, digest_copy_send, smtp_reply

logger = logging.getLogger(__name__)

# With no broker nothing can retry later: a few more tries at once, then the error reaches the caller.
IN_PROCESS_RETRIES = 3


class DeliveryOutcome(StrEnum):
    MORE = "more"  # the deadline came with rows still due: go on at once
    WAITING = "waiting"  # only rows waiting for their retry time are left
    DONE = "done"  # the edition is finished, or what is left is in other lanes' hands


class TemporaryFailure(Exception):
    """The mail server can't take mail now (4xx, connection lost): retry later with backoff."""


def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter (half fixed, half random), capped."""
    delay = min(settings.DIGEST_RETRY_MAX_SECONDS, settings.DIGEST_RETRY_BASE_SECONDS * 2 ** max(0, attempt))
    return delay / 2 + random.uniform(0, delay / 2)


def deliveries_create(*, digest: Digest) -> int:
    """Write the ledger in one INSERT … SELECT (no subscriber list in Python). Returns its size."""
    select_sql, params = edition_recipients(digest).order_by().values(recipient_id=F("pk")).query.sql_with_params()
    table = Delivery._meta.db_table
    # Raw SQL: the ORM has no INSERT … SELECT, and bulk_create would bring every recipient into Python.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (digest_id, subscriber_id, status, attempts, last_error) "  # noqa: S608
            f"SELECT %s, recipient.recipient_id, %s, 0, '' FROM ({select_sql}) AS recipient WHERE true "
            "ON CONFLICT (digest_id, subscriber_id) DO NOTHING",
            [digest.pk, Delivery.Status.PENDING, *params],
        )
    return Delivery.objects.filter(digest=digest).count()


def deliveries_start(*, digest: Digest) -> None:
    """Hand the edition to DIGEST_SEND_LANES delivery tasks once the transaction commits.

    With no broker (`make run`: tasks run in-process) no task could wait for a retry
    time, so the edition is sent right after the commit, to the end.
    """
    from .tasks import deliveries_send_task

    if deliveries_send_task.app.conf.task_always_eager:
        transaction.on_commit(lambda: _send_to_the_end(digest_id=digest.pk))
        return
    for _ in range(settings.DIGEST_SEND_LANES):
        deliveries_send_task.delay_on_commit(digest.pk)


def _send_to_the_end(*, digest_id: int) -> None:
    digest = Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).first()
    if digest is not None:
        deliveries_send(digest=digest)


def deliveries_send(*, digest: Digest, deadline: float | None = None) -> DeliveryOutcome:
    """Claim and send batches until none is left or `deadline` (time.monotonic()) passes.

    Raises TemporaryFailure when the mail server can't take mail now. With no deadline
    it goes on until the edition is finished: it waits here for the rows' retry times
    and tries again a few times after a TemporaryFailure before it raises it.
    """
    if deadline is not None:
        return _lane(digest=digest, deadline=deadline)
    failures = 0
    while True:
        try:
            outcome = _lane(digest=digest, deadline=None)
        except TemporaryFailure:
            failures += 1
            if failures > IN_PROCESS_RETRIES:
                raise
            continue
        if outcome is not DeliveryOutcome.WAITING:
            return outcome
        failures = 0
        time.sleep(next_retry_in(digest=digest))


def _lane(*, digest: Digest, deadline: float | None) -> DeliveryOutcome:
    renderer = DigestRenderer(digest)  # the embargo checked again, as each lane starts
    digest_withheld_record(digest=digest, withheld=renderer.withheld)
    serialized: dict[int, SerializedDigest] = {}
    after = 0
    while deadline is None or time.monotonic() < deadline:
        claimed = _claim(digest=digest, size=settings.DIGEST_BATCH_SIZE, after=after)
        if not claimed and after:
            after = 0  # once more from the start, for rows put back for a retry
            continue
        if not claimed:
            break
        after = claimed[-1][0]
        _send_batch(renderer=renderer, serialized=serialized, claimed=claimed)
    else:
        return DeliveryOutcome.MORE
    if _digest_finish(digest=digest):
        return DeliveryOutcome.DONE
    if Delivery.objects.filter(digest=digest, status=Delivery.Status.PENDING).exists():
        return DeliveryOutcome.WAITING
    return DeliveryOutcome.DONE  # the rest is in other workers' hands (or the sweeper's)


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
    if older_than is None:
        older_than = timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT_SECONDS)
    cutoff = timezone.now() - older_than
    Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff).update(
        status=Delivery.Status.PENDING, claimed_at=None, last_error="reclaimed after a stalled send"
    )
    restarted = []
    for digest in Digest.objects.filter(status=Digest.Status.SENDING):
        if _digest_finish(digest=digest):
            continue
        # Rows still in flight mean a live worker holds this edition; it carries on by itself.
        if Delivery.objects.filter(digest=digest, status=Delivery.Status.SENDING).exists():
            continue
        # Extra workers are harmless: each only claims what nobody holds.
        deliveries_start(digest=digest)
        restarted.append(digest.pk)
    return restarted


def _digest_finish(*, digest: Digest) -> bool:
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


def _claim(*, digest: Digest, size: int, after: int = 0) -> list[tuple[int, int]]:
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

    Only a row this worker still holds is changed: one the sweeper took back belongs to its new owner.
    """
    Delivery.objects.filter(pk=pk, status=Delivery.Status.SENDING).update(
        status=status,
        sent_at=timezone.now() if status == Delivery.Status.SENT else None,
        last_error=last_error[:500],
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
    # Raw SQL: a session setting, which the ORM has no way to say.
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


def _refused(*, pk: int, subscriber_id: int, error: Exception, attempts: int) -> bool:
    """Record one refused message. True when the whole connection is unusable and the rest
    of the batch must wait."""
    code, text = smtp_reply(error)
    if code >= 500:
        _mark(pk, Delivery.Status.FAILED, last_error=text)
        subscriber_record_hard_bounce(subscriber_id=subscriber_id)
    elif not isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    elif attempts >= settings.DIGEST_MAX_ATTEMPTS:
        _mark(pk, Delivery.Status.FAILED, last_error=text)
    else:
        _release([pk], error=text, delay=retry_delay(attempts))
    return False


def _send_batch(
    *, renderer: DigestRenderer, serialized: dict[int, SerializedDigest], claimed: list[tuple[int, int]]
) -> None:
    """Send the claimed rows over one SMTP connection, marking each as it goes.

    A 5xx marks that row failed and counts a hard bounce; a 4xx for one address puts
    that row back with a backoff; a 4xx for the whole session or a lost connection puts
    back the rest of the batch and raises TemporaryFailure so the caller retries later.
    """
    subscribers = Subscriber.objects.only("pk", "email", "status").in_bulk([sid for _, sid in claimed])
    topics = subscriber_topic_ids(subscribers)
    outstanding = [pk for pk, _ in claimed]
    attempts = dict(Delivery.objects.filter(pk__in=outstanding).values_list("pk", "attempts"))
    mail = get_connection()
    try:
        mail.open()
    except (OSError, smtplib.SMTPException) as error:
        _release(outstanding, error=smtp_reply(error)[1])
        raise TemporaryFailure(str(error)) from error
    with _fast_commits():
        try:
            for pk, subscriber_id in claimed:
                subscriber = subscribers.get(subscriber_id)
                rendered = None
                if subscriber is not None and subscriber.receives_mail:
                    rendered = renderer.for_topics(topics.get(subscriber_id, frozenset()))
                if rendered is None:
                    _mark(pk, Delivery.Status.SKIPPED)
                else:
                    try:
                        digest_copy_send(mail=mail, rendered=rendered, subscriber=subscriber, serialized=serialized)
                    except (OSError, smtplib.SMTPException) as error:
                        tries = attempts.get(pk, 1)
                        if _refused(pk=pk, subscriber_id=subscriber_id, error=error, attempts=tries):
                            _release(outstanding, error=smtp_reply(error)[1])
                            raise TemporaryFailure(smtp_reply(error)[1]) from error
                    else:
                        _mark(pk, Delivery.Status.SENT)
                outstanding.remove(pk)
        finally:
            try:
                mail.close()
            except (OSError, smtplib.SMTPException):
                logger.warning("closing the SMTP connection failed", exc_info=True)

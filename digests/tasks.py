"""Thin Celery tasks around the digest services and delivery.

Beat starts `digests_due_send_task` at 07:00 (daily) and Monday 07:00 (weekly) and
`deliveries_reclaim_task` every minute. Delivery lanes run for a bounded time and
queue a fresh message to go on, so no task outlives the broker's visibility timeout
and two editions going out together share the workers.
"""

import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .delivery import DeliveryOutcome, TemporaryFailure, deliveries_reclaim, deliveries_send, next_retry_in, retry_delay
from .models import Digest
from .services import digests_due_send


@shared_task(ignore_result=True)
def digests_due_send_task(cadence: str) -> int | None:
    digest = digests_due_send(cadence=cadence)
    return digest.pk if digest else None


@shared_task(bind=True, ignore_result=True, max_retries=None)
def deliveries_send_task(self, digest_id: int) -> str:
    digest = Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).first()
    if digest is None:
        return DeliveryOutcome.DONE
    try:
        outcome = deliveries_send(digest=digest, deadline=time.monotonic() + settings.DIGEST_LANE_SECONDS)
    except TemporaryFailure as error:
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error
    if outcome is DeliveryOutcome.MORE:
        deliveries_send_task.delay(digest_id)
    elif outcome is DeliveryOutcome.WAITING:
        deliveries_send_task.apply_async((digest_id,), countdown=next_retry_in(digest=digest) + 0.1)
    return outcome


@shared_task(ignore_result=True)
def deliveries_reclaim_task(older_than_seconds: float | None = None) -> list[int]:
    older_than = None if older_than_seconds is None else timedelta(seconds=older_than_seconds)
    return deliveries_reclaim(older_than=older_than)

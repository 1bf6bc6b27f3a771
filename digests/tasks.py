"""Thin Celery tasks around digests.services.

Beat starts `digests_due_send_task` at 07:00 (daily) and Monday 07:00 (weekly) and
`deliveries_reclaim_task` every minute. Delivery lanes run for a bounded time and
queue a fresh message to go on, so no task outlives the broker's visibility timeout
and two editions going out together share the workers.
"""

import time

from celery import shared_task
from django.conf import settings

from . import services
from .models import Digest


@shared_task(ignore_result=True)
def digests_due_send_task(cadence: str) -> int | None:
    digest = services.digests_due_send(cadence=cadence)
    return digest.pk if digest else None


@shared_task(bind=True, ignore_result=True, max_retries=None)
def deliveries_send_task(self, digest_id: int) -> str:
    digest = Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).first()
    if digest is None:
        return "done"
    deadline = None if self.request.is_eager else time.monotonic() + settings.DIGEST_LANE_SECONDS
    try:
        outcome = services.deliveries_send(digest=digest, deadline=deadline)
    except services.TemporaryFailure as error:
        if self.request.is_eager and self.request.retries >= 3:
            raise
        raise self.retry(exc=error, countdown=services.retry_delay(self.request.retries)) from error
    if outcome == "more":
        deliveries_send_task.delay(digest_id)
    elif outcome == "waiting":
        if self.request.is_eager:
            time.sleep(services.next_retry_in(digest=digest))
            return deliveries_send_task(digest_id)
        deliveries_send_task.apply_async((digest_id,), countdown=services.next_retry_in(digest=digest) + 0.1)
    return outcome


@shared_task(ignore_result=True)
def deliveries_reclaim_task(older_than_seconds: float | None = None) -> list[int]:
    from datetime import timedelta

    older_than = None if older_than_seconds is None else timedelta(seconds=older_than_seconds)
    return services.deliveries_reclaim(older_than=older_than)

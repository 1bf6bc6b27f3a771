"""Thin Celery tasks: load a subscriber by id and call a service.

Only ids travel through the broker, so no address is ever in a queue or a task log.
Delivery errors are retried with a message that names the subscriber by id, since an
SMTP error may quote the recipient's address.
"""

import smtplib

from celery import shared_task

from .models import Subscriber
from .services import subscriber_confirmation_send, subscriber_welcome_send

RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)


class MailDeliveryError(Exception):
    pass


def _send(task, service, subscriber_id: int) -> bool:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    try:
        return service(subscriber=subscriber)
    except (smtplib.SMTPException, OSError) as exc:
        error = MailDeliveryError(f"{type(exc).__name__} while mailing subscriber {subscriber_id}")
    # Outside the except block, so the original error (which may quote the address) is not chained.
    attempt = task.request.retries
    if attempt >= len(RETRY_DELAYS):
        raise error
    raise task.retry(exc=error, countdown=RETRY_DELAYS[attempt])


@shared_task(bind=True, max_retries=len(RETRY_DELAYS))
def subscriber_confirmation_send_task(self, subscriber_id: int) -> bool:
    return _send(self, subscriber_confirmation_send, subscriber_id)


@shared_task(bind=True, max_retries=len(RETRY_DELAYS))
def subscriber_welcome_send_task(self, subscriber_id: int) -> bool:
    return _send(self, subscriber_welcome_send, subscriber_id)

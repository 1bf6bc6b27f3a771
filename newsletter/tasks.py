"""Thin Celery tasks: load a row by id and call a service.

Only ids travel through the broker, so no address is ever in a queue or a task log.
Delivery errors are retried with a message that names the subscriber by id, since an
SMTP error may quote the recipient's address. Every task here may run twice for one
row (a redelivery, the sweeper): each service claims its row first and does nothing
the second time.
"""

from celery import shared_task

from . import services
from .mail_ledger import RETRY_DELAYS, MailNotSent  # noqa: F401 - RETRY_DELAYS is read by tests and docs
from .models import SubscriberMail


class MailDeliveryError(Exception):
    pass


@shared_task(ignore_result=True)
def signup_request_process_task(request_id: int) -> int | None:
    subscriber = services.signup_request_process(request_id=request_id)
    return subscriber.pk if subscriber else None


@shared_task(bind=True, ignore_result=True, max_retries=None)
def subscriber_mail_send_task(self, mail_id: int) -> bool:
    try:
        return services.subscriber_mail_send(mail_id=mail_id)
    except MailNotSent as not_sent:
        error = MailDeliveryError(str(not_sent))
        retry_in, final = not_sent.retry_in, not_sent.final
    # Outside the except block, so nothing that may quote the address is chained.
    if final:
        raise error
    raise self.retry(exc=error, countdown=retry_in)


@shared_task(ignore_result=True)
def subscriber_mails_sweep_task() -> dict[str, int]:
    return services.subscriber_mails_sweep()


# Messages queued before the mail ledger existed name a subscriber, not a mail: they get a
# ledger row now (subscriber_mail_send then checks the subscriber still wants it).
def _legacy(subscriber_id: int, kind: str) -> bool:
    from .models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    mail = SubscriberMail.objects.create(subscriber=subscriber, kind=kind, due_at=subscriber.created_at)
    return services.subscriber_mail_send(mail_id=mail.pk)


@shared_task(ignore_result=True)
def subscriber_confirmation_send_task(subscriber_id: int) -> bool:
    return _legacy(subscriber_id, SubscriberMail.Kind.CONFIRMATION)


@shared_task(ignore_result=True)
def subscriber_welcome_send_task(subscriber_id: int) -> bool:
    return _legacy(subscriber_id, SubscriberMail.Kind.WELCOME)

"""The mail provider's word on our mail: a hard bounce or a complaint
suppresses the subscriber, an unsubscribe through the provider unsubscribes.

django-anymail turns every provider's webhook into one ``tracking`` signal;
the webhook URLs exist once ``ANYMAIL_WEBHOOK_SECRET`` is set (see the README).
"""

import logging

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.dispatch import receiver

from .models import Subscriber, normalize_email
from .services import subscriber_suppress, subscriber_unsubscribe

logger = logging.getLogger(__name__)


def _known(address: str) -> Subscriber | None:
    """The subscriber the provider means; an address we don't know is ignored."""
    return Subscriber.objects.filter(email_normalized=normalize_email(address)).first()


def _is_hard_bounce(event: AnymailTrackingEvent) -> bool:
    if event.event_type == EventType.BOUNCED:
        # Postmark's soft bounces arrive as "bounced" too; a full mailbox may empty.
        esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
        return esp_event.get("Type") != "SoftBounce"
    # Providers report a refusal to send to a known-bad address as "rejected".
    return event.event_type == EventType.REJECTED and event.reject_reason in (
        RejectReason.BOUNCED,
        RejectReason.INVALID,
    )


@receiver(tracking, dispatch_uid="newsletter.subscriber_tracking_event")
def subscriber_tracking_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    if not event.recipient:
        return
    subscriber = None
    if _is_hard_bounce(event) or event.event_type == EventType.COMPLAINED:
        subscriber = _known(event.recipient)
        if subscriber is not None:
            subscriber = subscriber_suppress(subscriber=subscriber, hard_bounce=_is_hard_bounce(event))
    elif event.event_type == EventType.UNSUBSCRIBED:
        subscriber = _known(event.recipient)
        if subscriber is not None:
            subscriber = subscriber_unsubscribe(subscriber=subscriber)
    if subscriber is not None:
        logger.info("%s %s: subscriber %s is now %s", esp_name, event.event_type, subscriber.pk, subscriber.status)

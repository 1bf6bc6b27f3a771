"""The mail provider's word on our mail: a hard bounce or a complaint
suppresses the subscriber, an unsubscribe through the provider unsubscribes.

django-anymail turns every provider's webhook into one ``tracking`` signal;
the webhook URLs exist once ``ANYMAIL_WEBHOOK_SECRET`` is set (see the README).
"""

import logging

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from .models import Subscriber, normalize_email
from .services import subscriber_unsubscribe

logger = logging.getLogger(__name__)

HARD_BOUNCE_LIMIT = 32767  # PositiveSmallIntegerField


def subscriber_suppress(*, email: str, hard_bounce: bool) -> Subscriber | None:
    """Stop all mail to this address for good. Idempotent; an unknown address is ignored."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email_normalized=normalize_email(email)).first()
        if subscriber is None or subscriber.status == Subscriber.Status.SUPPRESSED:
            return subscriber
        subscriber.status = Subscriber.Status.SUPPRESSED
        subscriber.suppressed_at = timezone.now()
        if hard_bounce:
            subscriber.hard_bounces = min(subscriber.hard_bounces + 1, HARD_BOUNCE_LIMIT)
        subscriber.save(update_fields=["status", "suppressed_at", "hard_bounces"])
    return subscriber


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
        subscriber = subscriber_suppress(email=event.recipient, hard_bounce=_is_hard_bounce(event))
    elif event.event_type == EventType.UNSUBSCRIBED:
        subscriber = Subscriber.objects.filter(email_normalized=normalize_email(event.recipient)).first()
        if subscriber is not None:
            subscriber = subscriber_unsubscribe(subscriber=subscriber)
    if subscriber is not None:
        logger.info("%s %s: subscriber %s is now %s", esp_name, event.event_type, subscriber.pk, subscriber.status)

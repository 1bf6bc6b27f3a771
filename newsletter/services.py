from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Topic

from .models import Subscriber, normalize_email


def subscriber_create(
    *, email: str, topics: list[Topic], source: str = "", ip: str | None = None
) -> tuple[Subscriber, bool]:
    """Record a request to subscribe. Returns the subscriber and whether it is new.

    An address we already know is left as it is: another person's request must
    never change a stored subscriber.
    """
    normalized = normalize_email(email)
    existing = Subscriber.objects.filter(email_normalized=normalized).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        with transaction.atomic():
            subscriber = Subscriber.objects.create(
                email=email, consent_source=source[:500], consent_ip=ip, consent_at=now
            )
            subscriber.topics.set(topics)
    except IntegrityError:
        # A concurrent request created it first.
        return Subscriber.objects.get(email_normalized=normalized), False
    return subscriber, True


def subscriber_confirm(*, subscriber: Subscriber) -> Subscriber:
    """Pending (or lapsed) to active. Confirming twice is harmless."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status != Subscriber.Status.ACTIVE:
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.confirmed_at = timezone.now()
            subscriber.unsubscribed_at = None
            subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
    return subscriber


def subscriber_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Stop all mail to this address. Idempotent; a suppressed address stays suppressed."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status in (Subscriber.Status.PENDING, Subscriber.Status.ACTIVE):
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = timezone.now()
            subscriber.save(update_fields=["status", "unsubscribed_at"])
    return subscriber


def subscriber_update_preferences(*, subscriber: Subscriber, cadence: str, topics: list[Topic]) -> Subscriber:
    subscriber.cadence = cadence
    subscriber.save(update_fields=["cadence"])
    subscriber.topics.set(topics)
    return subscriber

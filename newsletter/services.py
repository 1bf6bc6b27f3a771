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

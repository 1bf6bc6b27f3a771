from newsletter.models import Subscriber, normalize_email
from tests.newsletter import factories as newsletter_factories


class SubscriberFactory(newsletter_factories.SubscriberFactory):
    """A reader the digests go to: subscribed, weekly unless told otherwise."""

    status = Subscriber.Status.ACTIVE
    cadence = Subscriber.Cadence.WEEKLY


def subscribers_bulk_create(rows: list[tuple[str, str, list[int]]], status: str = Subscriber.Status.ACTIVE) -> None:
    """Many subscribers at once: (email, cadence, topic ids)."""
    created = Subscriber.objects.bulk_create(
        Subscriber(email=email, email_normalized=normalize_email(email), status=status, cadence=cadence)
        for email, cadence, _ in rows
    )
    through = Subscriber.topics.through
    through.objects.bulk_create(
        through(subscriber_id=subscriber.pk, topic_id=topic_id)
        for subscriber, (_, _, topic_ids) in zip(created, rows, strict=True)
        for topic_id in topic_ids
    )

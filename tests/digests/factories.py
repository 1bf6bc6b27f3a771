import factory

from newsletter.models import Subscriber, normalize_email


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    status = Subscriber.Status.ACTIVE
    cadence = Subscriber.Cadence.WEEKLY

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


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

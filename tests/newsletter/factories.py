import factory
from django.utils import timezone

from newsletter.models import Subscriber


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    status = Subscriber.Status.PENDING
    consent_source = "/"
    consent_ip = "192.0.2.10"
    consent_at = factory.LazyFunction(timezone.now)

    class Params:
        active = factory.Trait(status=Subscriber.Status.ACTIVE, confirmed_at=factory.LazyFunction(timezone.now))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

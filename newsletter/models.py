from django.core.exceptions import ValidationError
from django.db import models

from articles.models import Topic


def normalize_email(address: str) -> str:
    """The form an address is matched by: trimmed, lower case, domain in IDNA (punycode).

    Two spellings of one mailbox (``Ann@Example.COM``, ``ann@example.com``,
    ``ann@bücher.de`` and ``ann@xn--bcher-kva.de``) normalize alike.
    """
    local, _, domain = address.strip().rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return f"{local}@{domain}".lower()


class SubscriberQuerySet(models.QuerySet):
    def active(self) -> "SubscriberQuerySet":
        """Subscribers who confirmed and may be mailed a digest."""
        return self.filter(status=Subscriber.Status.ACTIVE)

    def with_email(self, address: str) -> "SubscriberQuerySet":
        """Match an address however it is spelled (case, IDN or punycode domain)."""
        return self.filter(email_normalized=normalize_email(address))

    def counts_by_status(self) -> dict[str, int]:
        """{status: count} for every status, zeros included."""
        counts = dict(self.order_by().values_list("status").annotate(n=models.Count("pk")))
        return {status: counts.get(status, 0) for status in Subscriber.Status.values}


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        SUPPRESSED = "suppressed", "Suppressed (bounces or complaints)"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        DAILY = "daily", "Daily"

    email = models.EmailField(max_length=254, help_text="As the subscriber typed it.")
    email_normalized = models.CharField(max_length=254, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    cadence = models.CharField(max_length=6, choices=Cadence.choices, default=Cadence.WEEKLY)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="subscribers", help_text="None chosen means every topic."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # Consent record: where, from which address and when the person asked to subscribe.
    consent_source = models.CharField(max_length=500, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    hard_bounces = models.PositiveSmallIntegerField(default=0)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "cadence"])]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        # The unique column is the normalized one, which forms don't show: check it here so
        # the admin answers "already subscribed" rather than failing on the constraint.
        if self.email:
            clash = Subscriber.objects.with_email(self.email).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"email": "A subscriber with this address already exists."})

    @property
    def stopped_at(self):
        """When the owner (or our bounce handling) stopped the mail, if it is stopped now."""
        if self.status == self.Status.UNSUBSCRIBED:
            return self.unsubscribed_at
        if self.status == self.Status.SUPPRESSED:
            return self.suppressed_at
        return None

    @property
    def receives_mail(self) -> bool:
        return self.status == self.Status.ACTIVE

    def save(self, *args, **kwargs) -> None:
        self.email_normalized = normalize_email(self.email)
        super().save(*args, **kwargs)

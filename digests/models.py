from django.db import models
from django.db.models import Q
from django.urls import reverse

from articles.models import Article
from newsletter.models import Subscriber


class DigestQuerySet(models.QuerySet):
    def archived(self) -> "DigestQuerySet":
        """Editions readers may look up: those that have started going out."""
        return self.filter(status__in=[Digest.Status.SENDING, Digest.Status.SENT])

    def previous_edition(self, *, cadence: str, before) -> "Digest | None":
        """The last edition of this cadence that went out before `before`."""
        return self.archived().filter(cadence=cadence, period_end__lt=before).order_by("-period_end").first()


class Digest(models.Model):
    """One edition of the digest for one cadence and period."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    cadence = models.CharField(max_length=6, choices=Subscriber.Cadence.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    subject = models.CharField(max_length=200)
    intro = models.TextField("editor's intro", blank=True)
    articles = models.ManyToManyField(Article, related_name="digests", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    recipients_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(fields=["cadence", "period_end"], name="digest_one_per_cadence_period"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("digests:detail", kwargs={"pk": self.pk})


class DeliveryQuerySet(models.QuerySet):
    def progress(self) -> dict[str, int]:
        """How many rows are in each status (every status present, zero if none), plus `remaining`."""
        counts = dict.fromkeys(Delivery.Status.values, 0)
        counts.update(self.order_by().values_list("status").annotate(n=models.Count("pk")))
        counts["remaining"] = counts[Delivery.Status.PENDING] + counts[Delivery.Status.SENDING]
        counts["total"] = sum(counts[status] for status in Delivery.Status.values)
        return counts


class Delivery(models.Model):
    """The ledger: one row per (digest, subscriber), so each is sent exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (no longer subscribed, or nothing to send)"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # After a temporary refusal (SMTP 4xx) the row waits until then before it is claimed again.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["digest", "subscriber"], name="delivery_once_per_subscriber"),
        ]
        indexes = [
            models.Index(fields=["digest", "status"]),
            models.Index(fields=["status", "claimed_at"], condition=Q(status="sending"), name="delivery_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.digest} → {self.subscriber}"

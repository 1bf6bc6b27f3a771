from django.db import models
from django.db.models import Q
from django.urls import reverse

from articles.models import Article
from newsletter.models import Subscriber


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

    class Meta:
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(fields=["cadence", "period_end"], name="digest_one_per_cadence_period"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("digests:detail", kwargs={"pk": self.pk})


class Delivery(models.Model):
    """The ledger: one row per (digest, subscriber), so each is sent exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

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

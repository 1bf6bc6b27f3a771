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
        """The last digest of this cadence that went out before `before`."""
        return (
            self.archived()
            .filter(kind=Digest.Kind.DIGEST, cadence=cadence, period_end__lt=before)
            .order_by("-period_end")
            .first()
        )


class Digest(models.Model):
    """One edition: the digest of one cadence and period, or one article mailed on its own."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "Digest"
        ARTICLE = "article", "Single article"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    kind = models.CharField(max_length=7, choices=Kind.choices, default=Kind.DIGEST)
    # A digest goes to the subscribers of its cadence; a single article to everyone whose
    # topics include it, whatever their cadence (its cadence stays blank).
    cadence = models.CharField(max_length=6, choices=Subscriber.Cadence.choices, blank=True)
    # The article of a single-article edition: one such edition per article, so a reader
    # gets each article mailed on its own at most once.
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="single_editions", editable=False
    )
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
    # What sending left out and why ([{"article": id, "title": …, "reason": …}]), recorded
    # when the edition starts going out and whenever a worker finds more.
    withheld = models.JSONField(default=list, blank=True, editable=False)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadence", "period_end"], condition=Q(kind="digest"), name="digest_one_per_cadence_period"
            ),
            models.UniqueConstraint(fields=["article"], condition=Q(kind="article"), name="digest_one_per_article"),
            models.CheckConstraint(
                condition=Q(kind="digest", article__isnull=True, cadence__in=["daily", "weekly"])
                | Q(kind="article", article__isnull=False),
                name="digest_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("digests:detail", kwargs={"pk": self.pk})

    @property
    def label(self) -> str:
        """What readers and editors call it: "Weekly digest", "Daily digest", "Single article"."""
        if self.kind == self.Kind.ARTICLE:
            return "Single article"
        return f"{self.get_cadence_display()} digest"


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

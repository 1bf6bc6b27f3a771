from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

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

    # Statuses a confirmation mail may go to: the person has to be able to confirm anew.
    AWAITING_CONFIRMATION = (Status.PENDING, Status.UNSUBSCRIBED, Status.SUPPRESSED)

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
    # The counter stops at what its column holds; an import may carry no more.
    HARD_BOUNCES_MAX = BaseDatabaseOperations.integer_field_ranges[hard_bounces.get_internal_type()][1]
    # What signup and the state machine record, never typed in: the admin shows it read-only,
    # the CSV carries it as it is.
    RECORD_FIELDS = (
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "suppressed_at",
        "confirmation_sent_at",
        "consent_source",
        "consent_ip",
        "consent_at",
    )

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


class SignupRequest(models.Model):
    """A request to subscribe, written as it arrives; a task turns it into a subscriber and a mail.

    The form's answer costs one INSERT of this row and one queued task for every address, so
    its timing tells nobody whether the address is known: the lookup happens in the task.
    A row still here after a while lost its task (the broker was down, a worker died) and is
    queued again by the sweeper (mail_ledger.subscriber_mails_sweep).
    """

    email = models.EmailField(max_length=254)
    cadence = models.CharField(max_length=6, choices=Subscriber.Cadence.choices, default=Subscriber.Cadence.WEEKLY)
    topic_ids = models.JSONField(default=list, blank=True)
    consent_source = models.CharField(max_length=500, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    # The site that sent the reader, for the Insights page; None when the reader opted out of counting.
    origin_referrer = models.CharField(max_length=120, null=True, blank=True)
    created_at = models.DateTimeField()
    # When a task was last queued for it: the sweeper queues again what waited too long.
    queued_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["queued_at"], name="signup_request_queued")]

    def __str__(self) -> str:
        return f"Signup request {self.pk}"


class SubscriberMailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (no longer wanted)"


# Mails still to be sent, written once for the queryset and its index.
OUTSTANDING = models.Q(status__in=[SubscriberMailStatus.QUEUED, SubscriberMailStatus.SENDING])


class SubscriberMailQuerySet(models.QuerySet):
    def outstanding(self) -> "SubscriberMailQuerySet":
        return self.filter(OUTSTANDING)


class SubscriberMail(models.Model):
    """The ledger of mails to one subscriber (confirmation, welcome): each is sent once.

    A task claims its row (queued → sending) in one UPDATE and marks it sent as soon as the
    SMTP server has accepted it, so a redelivered task finds it sent and sends nothing. A row
    left queued (its task was lost) or sending (its worker died) is handed back by the sweeper.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        WELCOME = "welcome", "Welcome"

    Status = SubscriberMailStatus

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    # Queued: when it is due (now, or after a retry delay). Sending: when it was claimed.
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    objects = SubscriberMailQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"], condition=OUTSTANDING, name="subscriber_mail_outstanding"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} mail {self.pk}"

"""Daily aggregates, and the little that is needed to count them honestly.

What lasts: per day and article, views, visitors and confirmed signups
(``ArticleDay``); per day and article, views by referring site, campaign and device
class (``SourceDay``); per day, the whole site's views and visitors (``SiteDay``);
clicks per day, digest edition and article (``DigestClickDay``); and, stored with a
subscription, the article and site it came from (``SignupOrigin``).

What lasts one day only: the day's salt (``DailySalt``) and, when there is no
Redis, the salted visitor hashes that make "unique" countable (``VisitorDay``).
Both are deleted once their day is over (``counting.expired_purge``).
"""

from django.db import models

from articles.models import Article


class SiteDay(models.Model):
    day = models.DateField(unique=True)
    views = models.PositiveIntegerField(default=0, db_default=0)
    visitors = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.views} views"


class ArticleDayQuerySet(models.QuerySet):
    def since(self, first_day) -> "ArticleDayQuerySet":
        return self.filter(day__gte=first_day)


class ArticleDay(models.Model):
    day = models.DateField()
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="insight_days")
    views = models.PositiveIntegerField(default=0, db_default=0)
    visitors = models.PositiveIntegerField(default=0, db_default=0)
    signups = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Subscribers from this article who confirmed that day."
    )

    objects = ArticleDayQuerySet.as_manager()

    class Meta:
        verbose_name = "reader insights"
        verbose_name_plural = "reader insights"
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["day", "article"], name="article_day_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.article_id}: {self.views} views"


class SourceDay(models.Model):
    """Views of one article on one day from one referring site, campaign or device class."""

    class Kind(models.TextChoices):
        REFERRER = "referrer", "Referring site"
        CAMPAIGN = "campaign", "Campaign (utm_source / utm_medium)"
        DEVICE = "device", "Device class"

    day = models.DateField()
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="insight_sources")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=120, blank=True)
    views = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["day", "article", "kind", "value"], name="source_day_once")]
        indexes = [models.Index(fields=["kind", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}={self.value}: {self.views}"


class DigestClickDay(models.Model):
    """Clicks per day, article and edition, so reports over N days can count them."""

    day = models.DateField()
    digest = models.ForeignKey("digests.Digest", on_delete=models.CASCADE, related_name="click_days")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="digest_click_days")
    clicks = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "digest", "article"], name="digest_click_day_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.digest_id}/{self.article_id}: {self.clicks}"


class SignupOrigin(models.Model):
    """Where a subscription came from, kept with it: the article the form was on, the site that sent the reader."""

    subscriber = models.OneToOneField("newsletter.Subscriber", on_delete=models.CASCADE, related_name="origin")
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="signups")
    referrer = models.CharField("referring site", max_length=120, blank=True)
    counted_on = models.DateField(null=True, blank=True, help_text="The day its confirmation was counted.")

    def __str__(self) -> str:
        return f"{self.subscriber_id} from {self.article_id}"


class DailySalt(models.Model):
    """The day's secret for visitor hashes (without Redis). Deleted when its day is over."""

    day = models.DateField(unique=True)
    salt = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return str(self.day)


class VisitorDay(models.Model):
    """A salted visitor hash seen today on one article (scope 0: anywhere on the site).

    Only without Redis, and only for the day: the hash cannot be recomputed once the salt
    is gone, and the rows go with it.
    """

    day = models.DateField()
    scope = models.BigIntegerField(help_text="The article's id, or 0 for the whole site.")
    visitor = models.BinaryField(max_length=16)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "scope", "visitor"], name="visitor_day_once")]

    def __str__(self) -> str:
        return str(self.day)

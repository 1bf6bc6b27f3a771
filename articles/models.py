import html
import math
import uuid
from datetime import datetime
from enum import StrEnum
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField, create_sanitizer

from .body import body_media_relative
from .history import RevisionRecords
from .images import image_variants_create

WORDS_PER_MINUTE = 230
RELATED_ARTICLES_SHOWN = 3
RELATED_CARD_FIELDS = ("title", "slug", "key_insights")  # what a related article's card prints


class Topic(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="One or two sentences shown on the topic page.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:topic", kwargs={"slug": self.slug})


class Author(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    role = models.CharField(max_length=120, blank=True, help_text="Shown beside the byline, e.g. “Senior analyst”.")
    bio = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class PublicationState(StrEnum):
    """Where an article stands for readers, in an editor's words."""

    DRAFT = "Draft"
    SCHEDULED = "Scheduled"
    PUBLISHED = "Published"


# What the status means, written once: the querysets below, the listing index and the
# date constraint read these, and Article.publication_state_at() mirrors them in Python.
IS_PUBLISHED = Q(status=ArticleStatus.PUBLISHED)  # due or scheduled
IS_DRAFT = Q(status=ArticleStatus.DRAFT)


def _due(now: datetime) -> Q:
    return Q(published_at__lte=now) & IS_PUBLISHED


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """Articles a reader may see: published, and due (a future date means scheduled)."""
        return self.filter(_due(timezone.now()))

    def unpublished(self, *, now: datetime | None = None) -> "ArticleQuerySet":
        """What published() leaves out (as of ``now``): drafts and scheduled pieces."""
        return self.exclude(_due(now or timezone.now()))

    def scheduled(self) -> "ArticleQuerySet":
        """Published articles whose date is still to come."""
        return self.filter(Q(published_at__gt=timezone.now()) & IS_PUBLISHED)

    def drafts(self) -> "ArticleQuerySet":
        return self.filter(IS_DRAFT)

    def scheduled_or_published(self) -> "ArticleQuerySet":
        """Every article but the drafts, due or not."""
        return self.exclude(IS_DRAFT)

    def dated_between(self, start: datetime, end: datetime) -> "ArticleQuerySet":
        """Published articles dated after ``start`` up to ``end``, due or scheduled."""
        return self.filter(Q(published_at__gt=start, published_at__lte=end) & IS_PUBLISHED)

    def next_due(self) -> datetime | None:
        """When the next scheduled article appears, or None."""
        return self.scheduled().aggregate(due=Min("published_at"))["due"]

    def for_listing(self, *, with_body: bool = False) -> "ArticleQuerySet":
        """What an article card (or, `with_body`, a feed entry) needs, in a
        constant number of queries. Cards skip the body, which they would fetch
        and decompress for nothing; only the database reads the search vector."""
        deferred = ["body_text", "search_vector"] if with_body else ["body", "body_text", "search_vector"]
        return (
            self.select_related("author").prefetch_related("topics").defer(*deferred).order_by("-published_at", "-pk")
        )

    def search(self, query: str, *, highlight: bool = False) -> "ArticleQuerySet":
        """Articles matching a reader's query, best first, annotated with
        ``search_rank``; see articles/search.py."""
        from .search import article_search

        return article_search(queryset=self, query=query, highlight=highlight)


def hero_image_path(instance: "Article", filename: str) -> str:
    # Random names: an upload never overwrites another or reveals its original name.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"articles/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Article(models.Model):
    Status = ArticleStatus

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    dek = models.CharField(
        "standfirst", max_length=300, help_text="One line under the title that says why the piece matters."
    )
    key_insights = models.TextField(
        max_length=1200,
        help_text="A short summary paragraph: shown in the Key Insights box, as the page description, "
        "in feeds and in digests.",
    )
    body = ProseEditorField(
        config={"extensions": settings.DJANGO_PROSE_EDITOR_DEFAULT_EXTENSIONS},
        # nh3 against what the editor's extensions make (applied last to first),
        # then our own images addressed site-relative.
        sanitize=[body_media_relative, create_sanitizer],
    )
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="articles")
    topics = models.ManyToManyField(Topic, related_name="articles")
    hero_image = models.ImageField(upload_to=hero_image_path, blank=True)
    hero_image_alt = models.CharField(
        "hero image alt text",
        max_length=250,
        blank=True,
        help_text="What the image shows, for readers who can't see it.",
    )
    related_articles = models.ManyToManyField(
        "self",
        through="RelatedArticle",
        through_fields=("article", "related"),
        symmetrical=False,
        related_name="+",
        blank=True,
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publication date",
        null=True,
        blank=True,
        db_index=True,
        help_text="A future date schedules the article: it appears by itself when due.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    body_text = models.TextField(editable=False, default="")
    word_count = models.PositiveIntegerField(editable=False, default=0, db_default=0)
    reading_time = models.PositiveSmallIntegerField("reading time (minutes)", editable=False, default=1)
    # Filled by a PostgreSQL trigger from title (A), dek and key insights (B) and
    # body text (C), GIN-indexed; stays empty on SQLite (see the migration).
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()
    # A revision per save, from the admin or from code (articles/history.py);
    # derived and search-only columns are left out, they follow from the body.
    history = RevisionRecords(
        verbose_name="revision",
        verbose_name_plural="revisions",
        excluded_fields=["body_text", "word_count", "reading_time", "search_vector", "created_at", "updated_at"],
        m2m_fields=[topics],
    )

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            # Readers' listings: the newest published articles in order, and the
            # page count read from this index alone instead of the whole table.
            models.Index(fields=["-published_at", "-id"], condition=IS_PUBLISHED, name="article_published_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=IS_DRAFT | Q(published_at__isnull=False),
                name="article_published_has_date",
                violation_error_message="A published article needs a publication date.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", kwargs={"slug": self.slug})

    def publication_state_at(self, now: datetime) -> PublicationState:
        """Which of drafts(), scheduled() and published() holds this row at ``now``:
        the one reading of the status in Python, for a row already in memory."""
        if self.status != self.Status.PUBLISHED:
            return PublicationState.DRAFT
        if self.published_at is not None and self.published_at <= now:
            return PublicationState.PUBLISHED
        return PublicationState.SCHEDULED

    @property
    def publication_state(self) -> PublicationState:
        return self.publication_state_at(timezone.now())

    @property
    def is_live(self) -> bool:
        """Whether a reader may see it now, as published() says."""
        return self.publication_state is PublicationState.PUBLISHED

    def clean(self) -> None:
        self._publication_date_default()

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:200]
        self._publication_date_default()
        # Sanitize on every save, not only through forms: imports and scripts
        # must not be able to store what the editor could not.
        self.body = self._meta.get_field("body").sanitize(self.body or "")
        self.body_text = " ".join(html.unescape(strip_tags(self.body.replace("<", " <"))).split())
        self.word_count = len(self.body_text.split())
        self.reading_time = max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))
        super().save(*args, **kwargs)
        if self.hero_image:
            self.hero_image_variants_create()

    def _publication_date_default(self) -> None:
        """Published with no date means published now. Forms reach it through clean(),
        before the date constraint is checked; code that saves without validating, through save()."""
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()

    def hero_image_variants_create(self) -> None:
        """The hero image's narrower copies for cards and pages (kept if already there)."""
        try:
            image_variants_create(name=self.hero_image.name)
        except (FileNotFoundError, OSError):
            pass  # a missing file is shown as a plain image with its alt text

    def related_for_page(self) -> list["Article"]:
        """The editor's picks in their order, filled up to three with recent
        published articles sharing a topic. One query, two when filling."""
        picked = self.related_picks()
        return picked + self.related_fill(picked)

    def related_picks(self) -> list["Article"]:
        """The editor's live picks in their order, at most three."""
        return list(
            Article.objects.published()
            .only(*RELATED_CARD_FIELDS)
            # No exclude(pk=self.pk): a pick of itself is refused by related_article_not_self.
            .filter(related_links_in__article=self)
            .order_by("related_links_in__position", "related_links_in__pk")[:RELATED_ARTICLES_SHOWN]
        )

    def related_fill(self, picked: list["Article"]) -> list["Article"]:
        """Recent published articles sharing a topic, as many as ``picked`` lacks."""
        missing = RELATED_ARTICLES_SHOWN - len(picked)
        if missing <= 0:
            return []
        return list(
            Article.objects.published()
            .only(*RELATED_CARD_FIELDS)
            .filter(topics__in=Article.topics.through.objects.filter(article=self).values("topic"))
            .exclude(pk__in=[self.pk, *(a.pk for a in picked)])
            .distinct()
            .order_by("-published_at", "-pk")[:missing]
        )


class RelatedArticle(models.Model):
    """One editor's pick, in the order the editor gave."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links_in")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "related"], name="related_article_once"),
            models.CheckConstraint(condition=~Q(article=models.F("related")), name="related_article_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.article} → {self.related}"


class PreviewLinkQuerySet(models.QuerySet):
    def active(self) -> "PreviewLinkQuerySet":
        """Links that still open their article: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PreviewLink(models.Model):
    """A link showing a draft or scheduled article to whoever has it, with no
    login, until it expires or an editor revokes it (articles/previews.py)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="preview_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Preview of {self.article} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def get_absolute_url(self) -> str:
        from .previews import preview_token

        return reverse("articles:preview", kwargs={"token": preview_token(self)})

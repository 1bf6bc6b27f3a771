"""Editors' writes that matter: restoring a revision, making and revoking preview links."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from .models import Article, Author, PreviewLink, Topic
from .previews import DEFAULT_DAYS, MAX_DAYS

# What a restore brings back: the text and its attribution. The address (slug)
# stays, so links to the article keep working, and so does the publication
# state: restoring older words never unpublishes or reschedules a piece.
RESTORED_FIELDS = ("title", "dek", "key_insights", "body", "author_id", "hero_image", "hero_image_alt")


@transaction.atomic
def article_revision_restore(*, article: Article, revision, user: AbstractBaseUser | None = None) -> Article:
    """Put a revision's text back on the article; the restore is a revision of its own."""
    if revision.id != article.pk:
        raise ValueError("That revision belongs to another article.")
    for name in RESTORED_FIELDS:
        setattr(article, name, getattr(revision, name))
    if not Author.objects.filter(pk=revision.author_id).exists():
        article.author_id = Article.objects.values_list("author_id", flat=True).get(pk=article.pk)  # since deleted
    when = date_filter(timezone.localtime(revision.history_date), "j M Y, H:i")
    article._change_reason = f"Restored the revision of {when}"
    if user is not None:
        article._history_user = user
    article.save()
    # Topics deleted since are left out.
    article.topics.set(Topic.objects.filter(pk__in=[row.topic_id for row in revision.topics.all()]))
    return article


def preview_link_create(
    *, article: Article, days: int = DEFAULT_DAYS, user: AbstractBaseUser | None = None
) -> PreviewLink:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"A preview link lasts from 1 to {MAX_DAYS} days.")
    now = timezone.now().replace(microsecond=0)
    return PreviewLink.objects.create(
        article=article, created_by=user, created_at=now, expires_at=now + timedelta(days=days)
    )


def preview_links_revoke(*, article: Article | None = None, link: PreviewLink | None = None) -> int:
    """Revoke one link, or every link of an article. Returns how many were still usable."""
    links = PreviewLink.objects.filter(revoked_at__isnull=True)
    if link is not None:
        links = links.filter(pk=link.pk)
    elif article is not None:
        links = links.filter(article=article)
    else:
        raise ValueError("Name a link or an article.")
    return links.update(revoked_at=timezone.now())

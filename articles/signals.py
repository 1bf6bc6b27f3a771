"""Anything a reader's page shows changed: the page cache starts afresh.

Signals do not fire for QuerySet.update() or bulk_create(); code that writes
reader-visible rows that way calls ``page_cache.content_changed()`` itself."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Article, Author, RelatedArticle, Topic
from .page_cache import content_changed


def _row_changed(sender, **kwargs) -> None:
    content_changed()


def _links_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        content_changed()


for model in (Article, Topic, Author, RelatedArticle):
    post_save.connect(_row_changed, sender=model, dispatch_uid=f"page_cache_save_{model.__name__}")
    post_delete.connect(_row_changed, sender=model, dispatch_uid=f"page_cache_delete_{model.__name__}")
for through in (Article.topics.through, Article.related_articles.through):
    m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"page_cache_links_{through.__name__}")

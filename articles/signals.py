"""What readers can see changed: purge the tags of the pages that show it.

Each receiver works out the tags (articles/purge.py) and hands them to
``tags_purge``, which sends them after commit. Signals do not fire for
QuerySet.update() or bulk_create(): code writing reader-visible rows that way
calls ``tags_purge`` itself.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from .models import Article, Author, RelatedArticle, Topic
from .purge import (
    article_change_tags,
    article_tag,
    author_tag,
    purging_enabled,
    tags_purge,
    topic_listing_tag,
    topic_tag,
)


def _article_before(sender, instance: Article, **kwargs) -> None:
    if not purging_enabled():
        return
    instance._purge_before = (
        Article.objects.filter(pk=instance.pk).only("status", "published_at").first() if instance.pk else None
    )


def _article_saved(sender, instance: Article, created: bool, **kwargs) -> None:
    if not purging_enabled():
        return
    before = getattr(instance, "_purge_before", None)
    was_live = before is not None and before.is_live
    if not (was_live or instance.is_live):
        return  # a draft or a scheduled piece: no reader sees it yet
    published_before = before.published_at if before is not None else None
    listed = created or was_live != instance.is_live or published_before != instance.published_at
    topic_ids = list(instance.topics.values_list("pk", flat=True)) if listed else []
    tags_purge(tags=article_change_tags(article_id=instance.pk, topic_ids=topic_ids, listed=listed))


def _article_deleting(sender, instance: Article, **kwargs) -> None:
    # The topics go with the article: read them while they are there.
    if purging_enabled() and instance.is_live:
        topic_ids = list(instance.topics.values_list("pk", flat=True))
        instance._purge_tags = article_change_tags(article_id=instance.pk, topic_ids=topic_ids, listed=True)


def _article_deleted(sender, instance: Article, **kwargs) -> None:
    tags_purge(tags=getattr(instance, "_purge_tags", ()))


def _topics_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not purging_enabled() or action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:  # topic.articles.add(...)
        articles = Article.objects.published().filter(pk__in=pk_set or ())
        if action == "pre_clear":
            articles = Article.objects.published().filter(topics=instance)
        ids = list(articles.values_list("pk", flat=True))
        if ids:
            tags_purge(
                tags={
                    tag
                    for pk in ids
                    for tag in article_change_tags(article_id=pk, topic_ids=[instance.pk], listed=True)
                }
            )
        return
    if not instance.is_live:
        return
    topic_ids = pk_set or ()
    if action == "pre_clear":
        topic_ids = list(instance.topics.values_list("pk", flat=True))
    tags_purge(tags=article_change_tags(article_id=instance.pk, topic_ids=topic_ids, listed=True))


def _pick_changed(sender, instance: RelatedArticle, **kwargs) -> None:
    tags_purge(tags={article_tag(instance.article_id)})


def _picks_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action.startswith("post_"):
        ids = pk_set or () if reverse else [instance.pk]
        tags_purge(tags={article_tag(pk) for pk in ids})


def _topic_changed(sender, instance: Topic, **kwargs) -> None:
    tags_purge(tags={topic_tag(instance.pk), topic_listing_tag(instance.pk), "sitemap", "newsletter"})


def _author_changed(sender, instance: Author, **kwargs) -> None:
    tags_purge(tags={author_tag(instance.pk), "search"})


pre_save.connect(_article_before, sender=Article, dispatch_uid="purge_article_before")
post_save.connect(_article_saved, sender=Article, dispatch_uid="purge_article_saved")
pre_delete.connect(_article_deleting, sender=Article, dispatch_uid="purge_article_deleting")
post_delete.connect(_article_deleted, sender=Article, dispatch_uid="purge_article_deleted")
m2m_changed.connect(_topics_changed, sender=Article.topics.through, dispatch_uid="purge_article_topics")
m2m_changed.connect(_picks_changed, sender=Article.related_articles.through, dispatch_uid="purge_article_picks")
for signal in (post_save, post_delete):
    signal.connect(_pick_changed, sender=RelatedArticle, dispatch_uid=f"purge_pick_{signal is post_save}")
    signal.connect(_topic_changed, sender=Topic, dispatch_uid=f"purge_topic_{signal is post_save}")
    signal.connect(_author_changed, sender=Author, dispatch_uid=f"purge_author_{signal is post_save}")

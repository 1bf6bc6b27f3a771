"""The tags reader pages carry, and the purge of those a change touches.

Tags (see core/frontcache.py for the headers):

- ``article-<id>``: shows that article (its page, its card in a listing, search
  result or related-articles box, its feed entry);
- ``author-<id>``, ``topic-<id>``: shows that author's or topic's name;
- ``topic-<id>-list``: which articles a topic has (its page and feed, and article
  pages whose related-articles box is filled up from that topic);
- ``home``, ``feed``, ``sitemap``, ``search``, ``newsletter``: those pages.

A change purges only what a reader could see change: a draft edit nothing; an
edit of a live article its own tag, the feeds, the sitemap and search; a change of
which articles are live (publish, unpublish, a new date, delete, topics) also the
listings. Purges are sent after commit: to the page cache at once
(core/pagecache.py), then by a Celery task that retries, so a front cache that is
down never fails an editor's save; the beat task
``scheduled_articles_purge_task`` purges the listings when a scheduled article's
time comes.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from core import pagecache

from .models import Article

logger = logging.getLogger(__name__)

# How far back the first scheduled-article check looks, and the key that
# remembers where the last one stopped.
SCHEDULED_LOOKBACK = timedelta(minutes=5)
SCHEDULED_CHECKED_KEY = "frontcache:scheduled-checked-until"


def article_tag(pk: int) -> str:
    return f"article-{pk}"


def author_tag(pk: int) -> str:
    return f"author-{pk}"


def topic_tag(pk: int) -> str:
    return f"topic-{pk}"


def topic_listing_tag(pk: int) -> str:
    return f"topic-{pk}-list"


LISTINGS = ("home", "feed", "sitemap", "search")


def card_tags(articles: Iterable[Article]) -> set[str]:
    """What article cards show: each article and its topics (prefetched)."""
    tags: set[str] = set()
    for article in articles:
        tags.add(article_tag(article.pk))
        tags.update(topic_tag(topic.pk) for topic in article.topics.all())
    return tags


def article_change_tags(*, article_id: int, topic_ids: Iterable[int], listed: bool) -> set[str]:
    """What a change of a live article touches; ``listed`` when which articles
    are live (or their order) may have changed too."""
    tags = {article_tag(article_id), "feed", "sitemap", "search"}
    if listed:
        tags.update(LISTINGS)
        tags.update(topic_listing_tag(pk) for pk in topic_ids)
    return tags


# Sending -------------------------------------------------------------------


def front_cache_enabled() -> bool:
    return settings.FRONT_CACHE_PURGER != "none"


def purging_enabled() -> bool:
    """Whether any cache keeps reader pages: a front cache, or the page cache (core/pagecache.py)."""
    return front_cache_enabled() or settings.PAGE_CACHE_SECONDS > 0


def tags_purge(*, tags: Iterable[str]) -> None:
    """Purge ``tags`` once the current transaction commits (at once outside one).

    Tags asked for within one transaction leave in one task: an admin save
    (article, topics, editor's picks) is one purge."""
    tags = set(tags)
    if not tags or not purging_enabled():
        return
    connection = transaction.get_connection()
    # atomic(savepoint=False) blocks (m2m writes, saves) stand as None: not a savepoint.
    savepoints = tuple(sid for sid in connection.savepoint_ids if sid)
    gathering = getattr(connection, "front_cache_pending", None)
    if gathering is None or not connection.in_atomic_block:
        gathering = connection.front_cache_pending = {}
    pending = gathering.get(savepoints)
    # Merged only into a purge gathered at this same savepoint and still queued:
    # a rolled-back block drops its on-commit callback, tags and all.
    if pending is not None and any(callback is pending for _, callback, _ in connection.run_on_commit):
        pending.tags.update(tags)
        return
    pending = gathering[savepoints] = _PendingPurge(tags)
    # robust: a broker that is down logs an error, it never fails the save.
    transaction.on_commit(pending, robust=True)


class _PendingPurge:
    def __init__(self, tags: set[str]) -> None:
        self.tags = tags

    def __call__(self) -> None:
        tags = sorted(self.tags)
        # The page cache first: the front cache, told next, fetches the pages again from it.
        pagecache.tags_purged(tags)
        front_cache_purge(tags)


def front_cache_purge(tags: list[str], *, send_here: bool = True) -> None:
    """Queue the front cache's purge of ``tags``, or (``send_here``) send it once from here
    without a broker."""
    from celery import current_app as app

    from .purgers import PurgeError, purger_from_settings
    from .tasks import front_cache_purge_task

    if not front_cache_enabled():
        return
    if not app.conf.task_always_eager:
        try:
            front_cache_purge_task.delay(tags)
            return
        except Exception as exc:  # noqa: BLE001 - the save stands: the purge is sent once from here
            logger.error("Front cache purge of %d tags not queued: %s", len(tags), exc)
            if not send_here:
                return
    # No broker (make run) or none reachable: once, in-process; a retry could only hold the editor up.
    try:
        purger_from_settings().purge(tags)
    except PurgeError as exc:
        logger.warning("%s (%d tags; the pages expire by their s-maxage)", exc, len(tags))


@receiver(pagecache.tags_recorded_late, dispatch_uid="articles.purge.front_cache_purge_again")
def _front_cache_purge_again(*, tags: set[str], **kwargs) -> None:
    # While the page cache held old pages, the front cache may have fetched one of them.
    # Queued only: this runs within a reader's request.
    front_cache_purge(sorted(tags), send_here=False)


def scheduled_articles_purge(*, now: datetime | None = None) -> list[int]:
    """Purge the listings for every article whose publication time came since
    the last check; returns their ids."""
    now = now or timezone.now()
    since = cache.get(SCHEDULED_CHECKED_KEY) or now - SCHEDULED_LOOKBACK
    due = list(
        Article.objects.published()
        .filter(published_at__gt=since, published_at__lte=now)
        .prefetch_related("topics")
        .only("pk")
    )
    tags: set[str] = set()
    for article in due:
        tags |= article_change_tags(article_id=article.pk, topic_ids=[t.pk for t in article.topics.all()], listed=True)
    tags_purge(tags=tags)
    cache.set(SCHEDULED_CHECKED_KEY, now, timeout=None)
    return [article.pk for article in due]

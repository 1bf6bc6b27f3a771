"""Thin Celery tasks for the front cache and the page cache: purge tags, and purge what
scheduled articles made due (run by beat every minute)."""

from celery import shared_task

from core import pagecache

from .purge import scheduled_articles_purge
from .purgers import PurgeError, purger_from_settings


@shared_task(
    autoretry_for=(PurgeError,),
    retry_backoff=2,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=12,
)
def front_cache_purge_task(tags: list[str]) -> int:
    """Mark every page carrying one of ``tags`` stale in the front cache."""
    purger_from_settings().purge(tags)
    return len(tags)


@shared_task
def scheduled_articles_purge_task() -> int:
    pagecache.tags_purged(())  # what this worker could not record while Redis was away
    return len(scheduled_articles_purge())

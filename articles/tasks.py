"""Thin Celery tasks for the front cache: purge tags, and purge what scheduled
articles made due (run by beat every minute)."""

from celery import shared_task

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
    return len(scheduled_articles_purge())

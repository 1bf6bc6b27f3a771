from celery import shared_task

from .flushing import counters_flush


@shared_task(ignore_result=True)
def insights_flush_task() -> dict[str, int]:
    """Every minute (beat): add Redis's counters into the daily aggregates, forget past days' salts."""
    return counters_flush()

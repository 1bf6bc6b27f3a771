"""The flush: Redis counters added into the aggregates, many rows at once, and counted exactly once."""

import pytest
from django.db.models import Sum
from django.utils import timezone

from insights import counting, flushing
from insights.models import ArticleDay, SourceDay
from tests.articles.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def _view(article_id: int, n: int) -> counting.View:
    return counting.View(
        article_id=article_id,
        visitor=n.to_bytes(16, "big"),
        referrer=f"site{n}.example",
        campaign="",
        device="desktop",
    )


def test_many_rows_are_added_to_what_is_stored(settings):
    article, gone = ArticleFactory(), ArticleFactory()
    today = timezone.localdate()
    for n in range(300):  # 300 referring sites: enough rows for PostgreSQL's COPY path
        counting.view_count(view=_view(article.pk, n), day=today)
    counting.view_count(view=_view(gone.pk, 0), day=today)
    gone.delete()  # its counts have nowhere to go and are dropped, not an error
    assert flushing.counters_flush() == {"views": 301, "clicks": 0}
    for n in range(300):  # the same again: added to the stored counts
        counting.view_count(view=_view(article.pk, n), day=today)
    flushing.counters_flush()
    row = ArticleDay.objects.get()
    assert row.views == 600
    # A HyperLogLog estimates (standard error 0.81%): it keeps no visitor's hash to count exactly.
    assert abs(row.visitors - 300) <= 9
    referrers = SourceDay.objects.filter(kind="referrer")
    assert referrers.count() == 300 and set(referrers.values_list("views", flat=True)) == {2}
    assert SourceDay.objects.filter(kind="device").aggregate(n=Sum("views"))["n"] == 600
    assert flushing.counters_flush() == {"views": 0, "clicks": 0}  # nothing counted twice


def test_a_flush_cut_short_is_finished_by_the_next(settings):
    article = ArticleFactory()
    today = timezone.localdate()
    counting.view_count(view=_view(article.pk, 1), day=today)
    client = counting.redis_client()
    # A flush that moved the counters aside and died before writing them:
    client.rename(counting._key(today.isoformat(), "views"), counting._key(today.isoformat(), "views") + ":flushing")
    counting.view_count(view=_view(article.pk, 2), day=today)  # counted meanwhile, in a fresh counter
    assert flushing.counters_flush()["views"] == 1  # the cut-short batch first
    assert flushing.counters_flush()["views"] == 1  # then the newer one
    assert ArticleDay.objects.get().views == 2


def test_only_one_flush_runs_at_a_time(settings):
    article = ArticleFactory()
    counting.view_count(view=_view(article.pk, 1))
    lock = counting.redis_client().lock(counting._key("flush-lock"), timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert flushing.counters_flush() == {"views": 0, "clicks": 0}
    finally:
        lock.release()
    assert flushing.counters_flush()["views"] == 1


def test_beacons_wait_in_the_process_and_go_to_redis_together(client, settings):
    from .conftest import beacon

    settings.INSIGHTS_BATCH_SECONDS = 60  # the sending thread stays asleep during the test
    article = ArticleFactory(slug="batched")
    for n in range(3):
        assert beacon(client, article.get_absolute_url(), ip=f"198.51.100.{n}").status_code == 204
    assert flushing.pending_read().views == {}  # not in Redis yet: one round trip will carry all three
    assert counting.views_send() == 3
    assert flushing.pending_read().views == {(timezone.localdate(), article.pk): 3}
    flushing.counters_flush()
    assert (ArticleDay.objects.get().views, ArticleDay.objects.get().visitors) == (3, 3)

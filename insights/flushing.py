"""Flushing Redis's counters into the daily aggregates, and forgetting what must not outlive its day."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article

from .counting import SEP, _key, expired_purge, redis_client
from .models import ArticleDay, DigestClickDay, SiteDay, SourceDay
from .upserts import _upsert

logger = logging.getLogger(__name__)


@dataclass
class Pending:
    """Counts in Redis not yet added to the database, by day and article."""

    views: dict[tuple[date, int], int]
    visitors: dict[tuple[date, int], int]
    sources: dict[tuple[date, int, str, str], int]
    site_visitors: dict[date, int]
    clicks: dict[tuple[date, int, int], int]


def _read_hash(client, key: str) -> dict[str, int]:
    return {field.decode(): int(value) for field, value in client.hgetall(key).items()}


def pending_read(*, include_live: bool = True) -> Pending:
    """What Redis holds that the database does not have yet (live counters and any flush cut short)."""
    pending = Pending(defaultdict(int), {}, defaultdict(int), {}, defaultdict(int))
    client = redis_client()
    if client is None:
        return pending
    suffixes = ("", ":flushing") if include_live else (":flushing",)
    for raw_day in client.smembers(_key("days")):
        d = raw_day.decode()
        day = date.fromisoformat(d)
        for suffix in suffixes:
            for article_id, n in _read_hash(client, _key(d, "views") + suffix).items():
                pending.views[(day, int(article_id))] += n
            for field, n in _read_hash(client, _key(d, "sources") + suffix).items():
                article_id, kind, value = field.split(SEP, 2)
                pending.sources[(day, int(article_id), kind, value)] += n
        for day_, article_id in [key for key in pending.views if key[0] == day]:
            pending.visitors[(day_, article_id)] = client.pfcount(_key(d, "visitors", article_id))
        pending.site_visitors[day] = client.pfcount(_key(d, "visitors", "site"))
    for suffix in suffixes:
        for field, n in _read_hash(client, _key("clicks") + suffix).items():
            d, digest_id, article_id = field.split(SEP)
            pending.clicks[(date.fromisoformat(d), int(digest_id), int(article_id))] += n
    return pending


def _rename(client, live: str) -> str:
    """Move a live counter aside for flushing (new counts start a fresh one); a flush cut short
    left its key in place, which goes first."""
    flushing = live + ":flushing"
    if not client.exists(flushing):
        try:
            client.rename(live, flushing)
        except Exception as error:  # noqa: BLE001 - redis.ResponseError "no such key": nothing to flush
            if "no such key" not in str(error).lower():
                raise
    return flushing


def counters_flush() -> dict[str, int]:
    """Add what Redis counted into the daily aggregates; forget what is past its day. Returns counts moved."""
    client = redis_client()
    moved = {"views": 0, "clicks": 0}
    if client is not None:
        lock = client.lock(_key("flush-lock"), timeout=300, blocking_timeout=0)
        if not lock.acquire(blocking=False):
            return moved
        try:
            moved = _flush(client)
        finally:
            lock.release()
    expired_purge(today=timezone.localdate())
    return moved


def _flush(client) -> dict[str, int]:
    """Move every day's counters aside, add them all in one transaction, then delete what was moved."""
    today = timezone.localdate()
    article_rows, source_rows, site_rows, click_rows = [], [], [], []
    moved_keys: list[str] = []
    over: list[str] = []
    for raw_day in sorted(client.smembers(_key("days"))):
        d = raw_day.decode()
        day = date.fromisoformat(d)
        views_key, sources_key = _rename(client, _key(d, "views")), _rename(client, _key(d, "sources"))
        moved_keys += [views_key, sources_key]
        views = {int(a): n for a, n in _read_hash(client, views_key).items()}
        pipe = client.pipeline(transaction=False)
        for article_id in views:
            pipe.pfcount(_key(d, "visitors", article_id))
        pipe.pfcount(_key(d, "visitors", "site"))
        *visitors, site_visitors = pipe.execute()
        article_rows += [(day, a, n, v) for (a, n), v in zip(views.items(), visitors, strict=True)]
        for field, n in _read_hash(client, sources_key).items():
            article_id, kind, value = field.split(SEP, 2)
            source_rows.append((day, int(article_id), kind, value, n))
        if views:
            site_rows.append((day, sum(views.values()), site_visitors))
        if day < today:
            over.append(d)
    clicks_key = _rename(client, _key("clicks"))
    moved_keys.append(clicks_key)
    for field, n in _read_hash(client, clicks_key).items():
        d, digest_id, article_id = field.split(SEP)
        click_rows.append((date.fromisoformat(d), int(digest_id), int(article_id), n))

    # Counts for an article (or edition) deleted meanwhile have nowhere to go.
    named = {row[1] for row in article_rows} | {row[2] for row in click_rows}
    articles = set(Article.objects.filter(pk__in=named).values_list("pk", flat=True))
    if click_rows:
        from digests.models import Digest

        digests = set(Digest.objects.filter(pk__in={row[1] for row in click_rows}).values_list("pk", flat=True))
        click_rows = [row for row in click_rows if row[1] in digests and row[2] in articles]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The commit does not wait for the WAL to reach the disk (as delivery marks don't):
            # a PostgreSQL crash in the next instant could lose one minute's counts, never corrupt them.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        _upsert(
            ArticleDay,
            ("day", "article_id"),
            add=("views",),
            biggest=("visitors",),
            rows=[row for row in article_rows if row[1] in articles],
        )
        _upsert(
            SourceDay,
            ("day", "article_id", "kind", "value"),
            add=("views",),
            rows=[row for row in source_rows if row[1] in articles],
        )
        _upsert(SiteDay, ("day",), add=("views",), biggest=("visitors",), rows=site_rows)
        _upsert(DigestClickDay, ("day", "digest_id", "article_id"), add=("clicks",), rows=click_rows)
    client.delete(*moved_keys)
    for d in over:
        if client.exists(_key(d, "views"), _key(d, "sources")):
            continue  # a beacon from the day's last moment arrived meanwhile: next flush
        # The day is over and flushed: its HyperLogLogs go, and nothing of it is left in Redis.
        stale = list(client.scan_iter(match=_key(d, "visitors", "*"), count=1000))
        if stale:
            client.delete(*stale)
        client.srem(_key("days"), d)
    moved = {"views": sum(row[2] for row in article_rows), "clicks": sum(row[3] for row in click_rows)}
    if moved["views"] or moved["clicks"]:
        logger.info("Insights flushed: %(views)s views, %(clicks)s digest clicks", moved)
    return moved

"""Counting, and moving counts into the daily aggregates.

With Redis (``REDIS_URL``) a view or a click is a handful of counter increments in
one round trip, and a beat task (``insights_flush_task``) adds them into PostgreSQL
every minute. Unique visitors are HyperLogLogs there: they hold no hash that could be
read back. Without Redis (the embedded default) every view is written to the
database at once, unique visitors through today's salted hashes (``VisitorDay``).

A visitor is HMAC-SHA256(today's salt, client address + user agent), cut to 16
bytes. The salt is random, made the first time it is needed each day, and gone
when the day is: Redis lets its key expire at midnight, the database row is
deleted by the first count or flush of the next day. Without it nobody, us
included, can tell whose hash a hash was.
"""

import atexit
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from articles.models import Article

from .models import ArticleDay, DailySalt, DigestClickDay, SignupOrigin, SiteDay, SourceDay, VisitorDay

logger = logging.getLogger(__name__)

PREFIX = "vivold:insights"
SEP = "\x1f"  # between the parts of a counter's field name: no domain or campaign word holds it
ARTICLE_IDS_SECONDS = 60  # how long a process trusts its table of published slugs
UPSERT_BATCH = 500  # rows per INSERT … VALUES statement (within SQLite's parameter limit)
COPY_ROWS = 200  # from this many rows on, PostgreSQL gets them by COPY


@dataclass(frozen=True)
class View:
    article_id: int
    visitor: bytes
    referrer: str
    campaign: str
    device: str


# ---------------------------------------------------------------------------
# Redis, when configured


class _Memo:
    """What one process keeps between requests: its Redis client, today's salt, the published slugs."""

    redis = None
    redis_url = ""
    lock = threading.Lock()
    article_ids: dict[str, int] = {}  # noqa: RUF012 - replaced whole, never mutated
    article_ids_at = 0.0
    count_view = None  # the registered counting script


def redis_client():
    """One client (and connection pool) per process, or None without REDIS_URL."""
    if not settings.REDIS_URL:
        return None
    if _Memo.redis is None or _Memo.redis_url != settings.REDIS_URL:
        with _Memo.lock:
            import redis

            _Memo.redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
            _Memo.redis_url = settings.REDIS_URL
            _Memo.count_view = None
    return _Memo.redis


def _key(*parts: object) -> str:
    return ":".join([PREFIX, *(str(part) for part in parts)])


def _end_of_day(day: date) -> int:
    """The Unix time of the local midnight that ends `day`."""
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time())
    return int(timezone.make_aware(midnight).timestamp())


# ---------------------------------------------------------------------------
# Today's salt and the visitor hash

_salt_memo: dict[date, bytes] = {}


def daily_salt(day: date) -> bytes:
    salt = _salt_memo.get(day)
    if salt is not None:
        return salt
    client = redis_client()
    if client is not None:
        # One round trip: set a new salt unless the day has one, and get the day's salt either way.
        fresh = secrets.token_bytes(32)
        salt = client.set(_key("salt", day.isoformat()), fresh, nx=True, exat=_end_of_day(day), get=True) or fresh
    else:
        row = DailySalt.objects.filter(day=day).first()
        if row is None:
            expired_purge(today=day)
            row, _ = DailySalt.objects.get_or_create(day=day, defaults={"salt": secrets.token_bytes(32)})
        salt = bytes(row.salt)
    for older in [known for known in _salt_memo if known < day]:
        del _salt_memo[older]  # a past day's salt leaves this process's memory too
    _salt_memo[day] = salt
    return salt


def visitor_hash(*, ip: str, user_agent: str, day: date) -> bytes:
    message = f"{ip}\n{user_agent}".encode()
    return hmac.new(daily_salt(day), message, hashlib.sha256).digest()[:16]


# ---------------------------------------------------------------------------
# Which article a path is


def published_article_id(slug: str) -> int | None:
    """The id of the published article with this slug, from a table each process refreshes every
    minute (and at most once a second for a slug it does not know: a piece published just now)."""
    now = time.monotonic()
    age = now - _Memo.article_ids_at
    if age > ARTICLE_IDS_SECONDS or (slug not in _Memo.article_ids and age > 1):
        _Memo.article_ids = dict(Article.objects.published().values_list("slug", "pk"))
        _Memo.article_ids_at = now
    return _Memo.article_ids.get(slug)


def article_ids_forget() -> None:
    """For tests and scripts that publish articles and count at once."""
    _Memo.article_ids_at = 0.0


# ---------------------------------------------------------------------------
# Counting


def view_count(*, view: View, day: date | None = None) -> None:
    """Count one page view: counters in Redis, or the aggregates themselves without it."""
    day = day or timezone.localdate()
    client = redis_client()
    try:
        if client is not None and settings.INSIGHTS_BATCH_SECONDS > 0:
            _Batch.add(view, day)
        elif client is not None:
            view_count_commands(client, view, day)
        else:
            _view_count_database(view, day)
    except IntegrityError:  # the article was deleted since this process read the published slugs
        article_ids_forget()
    except RedisError as error:  # Redis is away: this view goes uncounted, the reader notices nothing
        logger.warning("Insights: a view was not counted (%s)", error.__class__.__name__)


def _sources(view: View) -> list[tuple[str, str]]:
    sources = [(SourceDay.Kind.REFERRER, view.referrer), (SourceDay.Kind.DEVICE, view.device)]
    if view.campaign:
        sources.append((SourceDay.Kind.CAMPAIGN, view.campaign))
    return sources


# One round trip and one reply per view: the increments run in Redis as one script.
# KEYS: views hash, sources hash, the article's and the site's HyperLogLogs, the set of days.
# ARGV: article id, visitor hash, when the HyperLogLogs expire, the day, then source fields.
COUNT_VIEW_SCRIPT = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
for i = 5, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
redis.call('PFADD', KEYS[3], ARGV[2])
redis.call('EXPIREAT', KEYS[3], ARGV[3])
redis.call('PFADD', KEYS[4], ARGV[2])
redis.call('EXPIREAT', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[5], ARGV[4])
"""


def view_count_commands(client, view: View, day: date) -> None:
    """Queue one view's increments on `client` (a Redis client, or a pipeline to batch many)."""
    d = day.isoformat()
    if _Memo.count_view is None:
        _Memo.count_view = redis_client().register_script(COUNT_VIEW_SCRIPT)
    expires = _end_of_day(day) + 6 * 3600  # HyperLogLogs outlive the day only until its last flush
    _Memo.count_view(
        keys=[
            _key(d, "views"),
            _key(d, "sources"),
            _key(d, "visitors", view.article_id),
            _key(d, "visitors", "site"),
            _key("days"),
        ],
        args=[
            view.article_id,
            view.visitor,
            expires,
            d,
            *(SEP.join((str(view.article_id), kind, value)) for kind, value in _sources(view)),
        ],
        client=client,
    )


class _Batch:
    """Views waiting (a fraction of a second) to go to Redis together, one round trip for all.

    A request then only appends to a list: under a spike, no thread waits on Redis. Each web
    process has its own list and a thread that sends it every INSIGHTS_BATCH_SECONDS (and at exit).
    """

    lock = threading.Lock()
    views: list[tuple[View, date]] = []  # noqa: RUF012 - one per process, guarded by the lock
    pid = 0

    @classmethod
    def add(cls, view: View, day: date) -> None:
        with cls.lock:
            cls.views.append((view, day))
            if cls.pid != os.getpid():  # first view in this process (web workers fork from a parent)
                cls.pid = os.getpid()
                threading.Thread(target=cls._run, name="insights-batch", daemon=True).start()
                atexit.register(cls.send)

    @classmethod
    def send(cls) -> int:
        with cls.lock:
            batch, cls.views = cls.views, []
        if batch:
            pipe = redis_client().pipeline(transaction=False)
            for view, day in batch:
                view_count_commands(pipe, view, day)
            pipe.execute()
        return len(batch)

    @classmethod
    def _run(cls) -> None:
        while True:
            time.sleep(settings.INSIGHTS_BATCH_SECONDS or 0.25)
            try:
                cls.send()
            except RedisError as error:  # these views go uncounted; the next batch tries again
                logger.warning("Insights: a batch of views was not counted (%s)", error.__class__.__name__)


def views_send() -> int:
    """Send this process's waiting views to Redis now. Returns how many."""
    return _Batch.send()


def _view_count_database(view: View, day: date) -> None:
    with transaction.atomic():
        new_here = _insert_new(VisitorDay, ("day", "scope", "visitor"), (day, view.article_id, view.visitor))
        new_on_site = _insert_new(VisitorDay, ("day", "scope", "visitor"), (day, 0, view.visitor))
        _upsert(
            ArticleDay,
            ("day", "article_id"),
            add=("views", "visitors"),
            rows=[(day, view.article_id, 1, int(new_here))],
        )
        _upsert(SiteDay, ("day",), add=("views", "visitors"), rows=[(day, 1, int(new_on_site))])
        _upsert(
            SourceDay,
            ("day", "article_id", "kind", "value"),
            add=("views",),
            rows=[(day, view.article_id, kind, value, 1) for kind, value in _sources(view)],
        )


def click_count(*, digest_id: int, article_id: int, day: date | None = None) -> None:
    """Count one click on an article's link in a digest edition: a number, not a person."""
    day = day or timezone.localdate()
    client = redis_client()
    if client is not None:
        try:
            client.hincrby(_key("clicks"), SEP.join((day.isoformat(), str(digest_id), str(article_id))), 1)
        except RedisError as error:  # the reader still gets the article
            logger.warning("Insights: a digest click was not counted (%s)", error.__class__.__name__)
    else:
        _upsert(
            DigestClickDay, ("day", "digest_id", "article_id"), add=("clicks",), rows=[(day, digest_id, article_id, 1)]
        )


# ---------------------------------------------------------------------------
# Conversions


def signup_origin_record(*, subscriber, source: str, referrer: str) -> SignupOrigin | None:
    """Store, with a new subscription, the article whose form it came from and the site that sent the reader."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(source) if source else None
    except Resolver404:
        match = None
    article = None
    if match is not None and match.view_name == "articles:detail":
        article = Article.objects.published().filter(slug=match.kwargs["slug"]).first()
    if article is None and not referrer:
        return None
    return SignupOrigin.objects.get_or_create(
        subscriber=subscriber, defaults={"article": article, "referrer": referrer[:120]}
    )[0]


def signup_confirmed_count(*, subscriber, day: date | None = None) -> bool:
    """Count a confirmed subscriber for the article it came from, once per subscription. Returns whether it counted."""
    day = day or timezone.localdate()
    with transaction.atomic():
        claimed = SignupOrigin.objects.filter(
            subscriber=subscriber, counted_on__isnull=True, article__isnull=False
        ).update(counted_on=day)
        if not claimed:
            return False
        article_id = SignupOrigin.objects.values_list("article_id", flat=True).get(subscriber=subscriber)
        _upsert(ArticleDay, ("day", "article_id"), add=("signups",), rows=[(day, article_id, 1)])
    return True


# ---------------------------------------------------------------------------
# SQL: one INSERT … ON CONFLICT for many rows (PostgreSQL and SQLite both speak it)


def _columns(model, names) -> list[str]:
    return [model._meta.get_field(name.removesuffix("_id")).column for name in names]


def _upsert(model, keys: tuple[str, ...], *, add: tuple[str, ...] = (), biggest: tuple[str, ...] = (), rows) -> None:
    """Insert rows (key values, then `add` values, then `biggest` values); on a clash add the
    `add` columns to the stored ones and keep the larger of the `biggest`."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    key_cols, add_cols, max_cols = _columns(model, keys), _columns(model, add), _columns(model, biggest)
    all_cols = key_cols + add_cols + max_cols
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    updates = [f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in add_cols]
    updates += [f"{qn(c)} = {greatest}({table}.{qn(c)}, EXCLUDED.{qn(c)})" for c in max_cols]
    rows = list(rows)
    conflict = f" ON CONFLICT ({', '.join(qn(c) for c in key_cols)}) DO UPDATE SET {', '.join(updates)}"
    columns = ", ".join(qn(c) for c in all_cols)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_ROWS:
            _upsert_by_copy(cursor, table, columns, rows, conflict)
            return
        # Table and column names come from our models; values are parameters.
        row_sql = f"({', '.join(['%s'] * len(all_cols))})"
        for start in range(0, len(rows), UPSERT_BATCH):
            batch = rows[start : start + UPSERT_BATCH]
            sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row_sql] * len(batch)) + conflict  # noqa: S608
            cursor.execute(sql, [value for row in batch for value in row])


def _upsert_by_copy(cursor, table: str, columns: str, rows: list[tuple], conflict: str) -> None:
    """Many rows on PostgreSQL: COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT."""
    with transaction.atomic():
        cursor.execute(f"CREATE TEMPORARY TABLE insights_incoming AS SELECT {columns} FROM {table} WITH NO DATA")  # noqa: S608
        with cursor.cursor.copy(f"COPY insights_incoming ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM insights_incoming WHERE true" + conflict)  # noqa: S608
        cursor.execute("DROP TABLE insights_incoming")


def _insert_new(model, names: tuple[str, ...], values: tuple) -> bool:
    """Insert one row unless it exists; whether it was new."""
    qn = connection.ops.quote_name
    cols = _columns(model, names)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(cols))}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1


# ---------------------------------------------------------------------------
# Flushing Redis into the aggregates, and forgetting what must not outlive its day


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


def expired_purge(*, today: date) -> int:
    """Delete every salt and visitor hash of a day that is over. Returns the rows deleted."""
    deleted = DailySalt.objects.filter(day__lt=today).delete()[0]
    deleted += VisitorDay.objects.filter(day__lt=today).delete()[0]
    return deleted

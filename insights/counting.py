"""Counting a page view or a digest click, as the beacon and the click redirect do.

With Redis (``REDIS_URL``) a view or a click is a handful of counter increments in
one round trip, and a beat task (``insights_flush_task``, ``insights.flushing``) adds
them into PostgreSQL every minute. Unique visitors are HyperLogLogs there: they hold no
hash that could be read back. Without Redis (the embedded default) every view is written
to the database at once, unique visitors through today's salted hashes (``VisitorDay``).

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
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from articles.models import Article

from .models import ArticleDay, DailySalt, DigestClickDay, SiteDay, SourceDay, VisitorDay
from .upserts import _insert_new, _upsert

logger = logging.getLogger(__name__)

PREFIX = "vivold:insights"
SEP = "\x1f"  # between the parts of a counter's field name: no domain or campaign word holds it
ARTICLE_IDS_SECONDS = 60  # how long a process trusts its table of published slugs


@dataclass(frozen=True)
class View:
    article_id: int
    visitor: bytes
    referrer: str
    campaign: str
    device: str


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


def expired_purge(*, today: date) -> int:
    """Delete every salt and visitor hash of a day that is over. Returns the rows deleted."""
    deleted = DailySalt.objects.filter(day__lt=today).delete()[0]
    deleted += VisitorDay.objects.filter(day__lt=today).delete()[0]
    return deleted

"""Reader pages kept in the shared cache, for what the front cache misses.

What reaches the application is what the front cache missed: a page it never
held, one a purge marked stale or past its ``s-maxage``, every page on a new
Varnish or behind a CDN's many edges. Rendering an article costs about 5 ms of
CPU (its ORM statements and its template); the same page from Redis costs a
tenth of that. So an anonymous GET that the front cache may keep (``public`` and
tagged by core/frontcache.py) is kept here too, in Django's default cache,
compressed, with the tags it carries and the time its rendering began.

A purge (``tags_purged``, called by articles/purge.py after commit and before the
front cache is told) records its time for each tag and for all tags at once. A
stored page is served only while none of its tags was purged after it began
rendering: one round trip fetches the page with the time of the latest purge of
any tag, and only a page older than that looks up its own tags. A page whose
rendering overlapped the commit of a change is therefore never served.

Stored pages are keyed by the release too (a digest of the code, the templates, the
static manifest and the settings pages print), so a deploy never serves the previous
templates or static names; hits say their ``Age``, so a front cache keeps them no
longer than a fresh page.

Only a cache every web process shares will do: with Django's per-process memory
cache a change made by another process would stay invisible. So
``PAGE_CACHE_SECONDS`` is 0 (off) without ``REDIS_URL``, and the settings refuse
it on. Only addresses a crawler cannot multiply are kept: no query string but one
page number, written as digits, on a paginated listing (``PAGINATED``). Redis away or
slow: pages are rendered, the cache is left alone for ``RETRY_SECONDS``, and a purge
it could not take is kept by the process, recorded before the process uses the cache
again (or by beat's next minute in a worker), and then sent to the front cache again
(``tags_recorded_late``), which may have fetched an old page from another process
meanwhile.
"""

import functools
import hashlib
import json
import logging
import os
import pickle
import re
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

PURGED_ANY = "pagecache:purged:any"
# Clocks of different machines differ a little: a page is taken to have begun
# rendering this much earlier than its own clock says.
CLOCK_SKEW_SECONDS = 1.0
RETRY_SECONDS = 5.0
# Cookies that make a page someone's own (the VCL passes them too): Django's messages.
_PRIVATE_COOKIES = ("messages",)
_NOT_STORED = {"set-cookie", "vary", "content-length", "date", "age"}
# Listings a page number changes; on any other page a query string is not kept.
PAGINATED = {"articles:home", "articles:topic"}
_PAGE_QUERY = re.compile(r"page=[1-9][0-9]{0,5}")
# What the release digest reads: our code and templates, and the static manifest.
_RELEASE_SUFFIXES = {".py", ".html", ".txt", ".xml", ".toml"}
_RELEASE_SETTINGS = (
    "SITE_URL",
    "SITE_NAME",
    "STATIC_URL",
    "MEDIA_URL",
    "PAGE_CACHE_SECONDS",
    "FRONT_CACHE_SECONDS",
    "FRONT_CACHE_BROWSER_SECONDS",
    "FRONT_CACHE_STALE_SECONDS",
    "FRONT_CACHE_STALE_IF_ERROR_SECONDS",
)
_RELEASE_SKIPPED = {".git", ".venv", "var", "node_modules", "tests", "bench", "deploy", "docs", "media", "staticfiles"}

_UNREADABLE = (pickle.UnpicklingError, EOFError, ImportError, AttributeError, ValueError, TypeError, zlib.error)
# Sent with the tags whose purge Redis took only late: the front cache is purged again.
tags_recorded_late = Signal()

_away_until = 0.0
# Tags whose purge Redis did not take (see tags_purged).
_unrecorded: set[str] = set()


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0 and time.monotonic() >= _away_until


def _cache_away(error: Exception) -> None:
    global _away_until  # noqa: PLW0603 - one flag per process, read on every request
    _away_until = time.monotonic() + RETRY_SECONDS
    logger.warning("Page cache unavailable for %.0f s, pages are rendered: %s", RETRY_SECONDS, error)


def _purged_key(tag: str) -> str:
    return f"pagecache:purged:{tag}"


@functools.cache
def release() -> str:
    """A digest of what a page is made from here: the project's code and templates (by
    content, so every machine running one release agrees), the static manifest's hash and
    the settings a stored page prints or carries in its headers."""
    digest = hashlib.blake2b(digest_size=8)
    root = Path(settings.BASE_DIR)
    files = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if name not in _RELEASE_SKIPPED and not name.startswith("."))
        files += [Path(folder, name) for name in names if Path(name).suffix in _RELEASE_SUFFIXES]
    for path in sorted(files):
        try:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        except OSError:  # a file that went away or can't be read is not part of the pages
            continue
    try:
        manifest = json.loads((Path(settings.STATIC_ROOT) / "staticfiles.json").read_bytes())
    except (OSError, ValueError):
        manifest = {}
    digest.update(json.dumps(manifest.get("hash") or manifest.get("paths"), sort_keys=True).encode())
    digest.update(repr([getattr(settings, name) for name in _RELEASE_SETTINGS]).encode())
    return digest.hexdigest()


def _page_key(request: HttpRequest) -> str | None:
    """Where this request's page would be kept, or None if it is not one to keep."""
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return None
    if any(name in request.COOKIES for name in (settings.SESSION_COOKIE_NAME, *_PRIVATE_COOKIES)):
        return None
    query = request.META.get("QUERY_STRING", "")
    if query and not _PAGE_QUERY.fullmatch(query):
        return None
    request.get_host()  # a Host not in ALLOWED_HOSTS is refused (400) before anything is served
    # Pages print SITE_URL's addresses, never the Host's: one copy whatever the name asked for.
    address = f"{release()}{request.path}?{query}"
    return "pagecache:page:" + hashlib.blake2b(address.encode(), digest_size=16).hexdigest()


def tags_purged(tags: Iterable[str]) -> None:
    """Record that pages carrying ``tags`` changed: none rendered before now is served again.

    With Redis away the tags are kept in this process and recorded before it next uses the
    cache: a Redis that comes back with its data (append-only file) holds pages they outdate."""
    if settings.PAGE_CACHE_SECONDS <= 0:
        return
    # Taken out before the round trip, so two requests never both send what was kept.
    late = set(_unrecorded)
    _unrecorded.difference_update(late)
    tags = {*tags, *late}
    if not tags:
        return
    now = time.time()
    marks = {_purged_key(tag): now for tag in tags}
    marks[PURGED_ANY] = now
    try:
        # Kept as long as any page they could outdate.
        cache.set_many(marks, timeout=settings.PAGE_CACHE_SECONDS + 2 * CLOCK_SKEW_SECONDS)
    except (RedisError, OSError) as error:
        _unrecorded.update(tags)
        _cache_away(error)
        logger.error("Page cache purge of %d tags kept until Redis answers: %s", len(tags), error)
        return
    if late:
        logger.warning("Page cache purge of %d tags recorded once Redis answered", len(late))
        for _, error in tags_recorded_late.send_robust(sender=None, tags=late):
            if isinstance(error, Exception):
                logger.error("Front cache purge after a late page cache purge failed: %r", error)


def _shared_seconds(response: HttpResponse) -> int | None:
    for part in response.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "s-maxage" and value.isdigit():
            return int(value)
    return None


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    """A plain answer the front cache may keep, at an address kept here (see _page_key)."""
    control = response.get("Cache-Control", "")
    match = request.resolver_match
    return (
        (not request.GET or (match is not None and match.view_name in PAGINATED))
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "public" in control
        and response.has_header("xkey")
        and not response.has_header("Vary")
    )


class PageCacheMiddleware:
    """See the module's docstring. Sits inside ConditionalGetMiddleware (ETags and 304s are
    worked out on what it returns) and outside FrontCacheMiddleware (whose headers it keeps)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _page_key(request) if enabled() else None
        if key is not None and _unrecorded:
            tags_purged(())
            key = key if enabled() else None
        if key is None:
            return self.get_response(request)
        began = time.time() - CLOCK_SKEW_SECONDS
        try:
            stored = self._lookup(key)
        except (RedisError, OSError) as error:
            _cache_away(error)
            return self.get_response(request)
        except _UNREADABLE as error:  # written by another release's code: rendered afresh
            logger.warning("Page cache entry unreadable, page rendered: %r", error)
            stored = None
        if stored is not None:
            return stored
        response = self.get_response(request)
        if _storable(request, response):
            self._store(key, response, began)
        return response

    def _lookup(self, key: str) -> HttpResponse | None:
        found = cache.get_many([key, PURGED_ANY])
        entry = found.get(key)
        if entry is None:
            return None
        began, tags, headers, content = entry
        if found.get(PURGED_ANY, 0) >= began:
            purged = cache.get_many([_purged_key(tag) for tag in tags])
            if any(when >= began for when in purged.values()):
                return None
        response = HttpResponse(zlib.decompress(content))
        for name, value in headers:
            response[name] = value
        # How long ago it was rendered, so a front cache subtracts it from s-maxage.
        response["Age"] = str(max(0, int(time.time() - began - CLOCK_SKEW_SECONDS)))
        return response

    def _store(self, key: str, response: HttpResponse, began: float) -> None:
        # Counted from the start of the rendering, so the page goes before any purge mark
        # that could outdate it (they live PAGE_CACHE_SECONDS from the purge).
        lifetime = min(settings.PAGE_CACHE_SECONDS, _shared_seconds(response) or 0)
        seconds = int(lifetime - (time.time() - began))
        if seconds <= 0:
            return
        headers = [(name, value) for name, value in response.items() if name.lower() not in _NOT_STORED]
        entry = (began, response["xkey"].split(), headers, zlib.compress(response.content, 6))
        try:
            cache.set(key, entry, timeout=seconds)
        except (RedisError, OSError) as error:
            _cache_away(error)

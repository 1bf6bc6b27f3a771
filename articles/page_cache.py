"""Whole-page cache for anonymous readers.

A page is rendered once, stored in the default cache (Redis in production,
local memory otherwise) and served to every anonymous reader until something it
could show changes. Each stored page records the state of the content it was
rendered from, and is served only while that state is still current:

- a site-wide *content version* (an integer in the cache); saving or deleting an
  article, topic, author or editor's pick bumps it (see ``articles/signals.py``),
  at once and again when the transaction commits;
- the *next due publication time* (the earliest scheduled article), so when a
  scheduled article becomes due every page is rendered afresh, without anyone
  saving anything.

Both are read in the same round trip as the page itself. A page rendered from
an older state is simply rendered again and overwritten.

Logged-in users are never served from, nor stored in, the cache, so drafts and
staff previews (which need a login) can never reach it.

Each page carries the Stay Updated form with a CSRF token. The stored copy holds
a placeholder instead of the token; each response gets the visitor's own token,
masked afresh, and the CSRF cookie when the visitor has none, so the form works
for every reader of a cached page.

Use ``@reader_page`` on a view (feeds included) to cache it.
"""

import dataclasses
import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from redis.exceptions import RedisError

from vivold.csrf import csrf_token

logger = logging.getLogger(__name__)
# What a cache server that went away raises; the site then works without it.
CACHE_ERRORS = (RedisError, OSError)

VERSION_KEY = "pages:version"
NEXT_DUE_KEY = "pages:next-due"
# The next due time is also recomputed this often, which bounds the harm of a
# reader racing an editor who schedules an article.
NEXT_DUE_TIMEOUT = 60
NOTHING_DUE = "none"

TOKEN_INPUT = re.compile(rb'(<input type="hidden" name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}(")')
PLACEHOLDER = b"\x1bcsrf\x1b"

# Headers the cache decides for itself, or that belong to one visitor only.
_NOT_STORED = {"set-cookie", "vary", "cache-control", "expires", "etag", "last-modified", "content-length"}


@dataclass(frozen=True, slots=True)
class StoredPage:
    state: str
    content: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    last_modified: float
    has_form: bool


def is_enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


# Invalidation ---------------------------------------------------------------


def content_changed() -> None:
    """Something readers can see changed: no stored page may be served again.

    Bumped at once (so the editor's own next request sees the change) and again
    after commit (so a reader who rendered from the old rows between the two
    cannot have stored the old page under the new version)."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            # Missing (first use, or evicted): start from the clock so a version
            # can never repeat one whose pages are still stored.
            cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        cache.delete(NEXT_DUE_KEY)
    except CACHE_ERRORS:
        # The editor's save stands; pages are rendered uncached meanwhile.
        logger.error("Page cache unavailable: could not invalidate stored pages", exc_info=True)


def _next_due() -> datetime | None:
    from .models import Article

    return Article.objects.next_due()


def _current_state(values: dict, now: datetime) -> str:
    """Which content is current: the content version and the next due time,
    from the values read with the page (looked up or set here if missing)."""
    version = values.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    due = values.get(NEXT_DUE_KEY)
    if due is None or (due != NOTHING_DUE and due <= now.timestamp()):
        next_due = _next_due()
        due = NOTHING_DUE if next_due is None else next_due.timestamp()
        cache.set(NEXT_DUE_KEY, due, NEXT_DUE_TIMEOUT)
    return f"{version}:{due}"


# Serving --------------------------------------------------------------------


def _may_skip_login_check(request: HttpRequest) -> bool:
    """Whether the request can be answered from the cache before sessions,
    logins and messages are looked at: only a session can hold a login, and a
    pending message must reach a page that is rendered for its reader."""
    return (
        request.method in ("GET", "HEAD")
        # A token kept in the session needs the session middleware.
        and not settings.CSRF_USE_SESSIONS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and all(name in settings.PAGE_CACHE_QUERY_PARAMETERS for name in request.GET)
    )


def _may_use_cache(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or CookieStorage.cookie_name in request.COOKIES:
        return False
    if any(name not in settings.PAGE_CACHE_QUERY_PARAMETERS for name in request.GET):
        # Unknown parameters would let anyone fill the cache with copies.
        return False
    return _may_skip_login_check(request) or not request.user.is_authenticated


def _page_key(request: HttpRequest) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"pages:page:{hashlib.md5(where.encode(), usedforsecurity=False).hexdigest()}"


def _store(response: HttpResponse, state: str) -> StoredPage | None:
    """What of a freshly rendered response can be kept for everyone, or None."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    if any(word in response.get("Cache-Control", "") for word in ("private", "no-store", "no-cache")):
        return None
    if any(field.strip().lower() != "cookie" for field in response.get("Vary", "").split(",") if field.strip()):
        return None  # one key per URL cannot hold answers that vary on other headers
    content, count = TOKEN_INPUT.subn(rb"\1" + PLACEHOLDER + rb"\2", response.content)
    headers = tuple((k, v) for k, v in response.items() if k.lower() not in _NOT_STORED)
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    return StoredPage(state, content, headers, f'W/"{digest}"', time.time(), count > 0)


def _serve(request: HttpRequest, page: StoredPage) -> HttpResponse:
    response = HttpResponse(status=200)
    for key, value in page.headers:
        response[key] = value
    response["ETag"] = page.etag
    response["Last-Modified"] = http_date(page.last_modified)
    shared = settings.PAGE_CACHE_SHARED_MAX_AGE
    returning = False
    if page.has_form:
        # The body holds this visitor's token.
        patch_vary_headers(response, ("Cookie",))
        cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
        returning = cookie is not None and cookie == request.META.get("CSRF_COOKIE")
    if page.has_form and not returning:
        # This answer sets the visitor's CSRF cookie: no shared cache may keep it.
        response["Cache-Control"] = "private, max-age=0, must-revalidate"
    else:
        response["Cache-Control"] = f"public, max-age=0, s-maxage={shared}, stale-while-revalidate={shared}"

    # A 304 keeps the visitor's copy, whose token matches their cookie only if
    # they still have it.
    if not page.has_form or returning:
        conditional = get_conditional_response(
            request, etag=page.etag, last_modified=int(page.last_modified), response=response
        )
        if conditional is not response:
            return conditional

    if page.has_form:
        token = csrf_token(request).encode()
        if returning:
            # The visitor already holds this cookie: sending it again would only
            # make the answer unfit for a shared cache.
            request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
        response.content = page.content.replace(PLACEHOLDER, token)
    else:
        response.content = page.content
    response["Content-Length"] = str(len(response.content))
    return response


def _lookup(request: HttpRequest) -> tuple[str, str, StoredPage | None] | None:
    """The request's key, the current state and the stored page if it is
    current; None when the cache cannot answer, so the page is rendered as if
    there were no cache. One round trip to the cache when nothing is missing."""
    try:
        key = _page_key(request)
        values = cache.get_many([VERSION_KEY, NEXT_DUE_KEY, key])
        state = _current_state(values, timezone.now())
        page = values.get(key)
        if page is not None and page.state != state:
            page = None  # rendered before the content last changed
        return key, state, page
    except CACHE_ERRORS:
        logger.warning("Page cache unavailable: serving uncached", exc_info=True)
        return None


def _remember(key: str, page: StoredPage) -> None:
    try:
        cache.set(key, page, settings.PAGE_CACHE_SECONDS)
    except CACHE_ERRORS:
        logger.warning("Page cache unavailable: page not stored", exc_info=True)


def reader_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view's anonymous GET responses from the page cache."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        found = _lookup(request) if is_enabled() and _may_use_cache(request) else None
        if found is None:
            response = view(request, *args, **kwargs)
            if request.user.is_authenticated:
                # What a logged-in editor sees (perhaps a preview) is theirs alone.
                add_never_cache_headers(response)
            return response
        key, state, page = found
        if page is None:
            response = view(request, *args, **kwargs)
            page = _store(response, state)
            if page is None:
                return response
            if getattr(request, "page_cache_middleware", False):
                # Stored on the way out, with the headers the middleware below
                # it adds (framing, security policies), for its fast path.
                request.page_cache_pending = (key, page)
            else:
                _remember(key, page)
        return _serve(request, page)

    wrapper.reader_page = True
    return wrapper


class PageCacheMiddleware:
    """Serves stored pages to anonymous readers before sessions, logins and
    messages are looked at, and stores the pages ``@reader_page`` renders with
    every header the rest of the middleware gave them.

    Goes right after SecurityMiddleware and WhiteNoiseMiddleware, before
    SessionMiddleware. The CSRF middleware still sees each request it serves, so
    a first-time reader gets their cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_enabled() and _may_skip_login_check(request) and _is_reader_page(request):
            found = _lookup(request)
            if found is not None and found[2] is not None:
                self.csrf.process_request(request)
                return self.csrf.process_response(request, _serve(request, found[2]))
        request.page_cache_middleware = True
        response = self.get_response(request)
        pending = getattr(request, "page_cache_pending", None)
        if pending is not None:
            key, page = pending
            known = {name.lower() for name, _ in page.headers} | _NOT_STORED
            added = tuple((k, v) for k, v in response.items() if k.lower() not in known)
            _remember(key, dataclasses.replace(page, headers=page.headers + added))
        return response


def _is_reader_page(request: HttpRequest) -> bool:
    return _is_reader_path(request.path_info, getattr(request, "urlconf", None) or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=4096)
def _is_reader_path(path: str, urlconf: str) -> bool:
    """Whether the view at ``path`` is a @reader_page, remembered for the
    busiest paths (the answer changes only with the code)."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return getattr(match.func, "reader_page", False)

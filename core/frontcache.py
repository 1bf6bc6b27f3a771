"""What a front cache (Varnish, or a CDN) may keep, and the tags it keeps it under.

Reader pages carry nothing per visitor, so one copy serves everyone: an anonymous
GET of a page named in ``READER_PAGES`` answers ``Cache-Control: public`` with a
short browser lifetime, a long shared one (``s-maxage``), ``stale-while-revalidate``
and ``stale-if-error``, and names what it shows as tags (``article-12 topic-3
home``) in the headers front caches read: ``xkey`` (Varnish's xkey module),
``Surrogate-Key`` (Fastly) and ``Cache-Tag`` (Cloudflare). A change purges exactly
those tags (``articles/purge.py``), so the shared lifetime can be long.

Logged-in users get ``private, no-store`` on the same pages (an editor may see a
draft); answers that set a cookie, that are not a 200, or whose view chose its own
``Cache-Control`` are left as they are, and the VCL does not keep them."""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

# Route name → tags every answer of that view carries. Views add what they show
# with add_tags(); digest archive pages change only when an edition is sent and
# are kept for DIGEST_ARCHIVE_SECONDS instead of being purged.
READER_PAGES: dict[str, tuple[str, ...]] = {
    "articles:home": ("home",),
    "articles:detail": (),
    "articles:topic": (),
    "articles:search": ("search",),
    "articles:feed": ("feed", "home"),
    "articles:feed_rss": ("feed", "home"),
    "articles:topic_feed": ("feed",),
    "sitemap": ("sitemap",),
    "robots_txt": ("robots",),
    "newsletter:signup": ("newsletter",),
    "newsletter:subscribed": ("newsletter",),
    "digests:list": ("digests",),
    "digests:detail": ("digests",),
}
SHORT_LIVED = {"digests:list", "digests:detail"}
DIGEST_ARCHIVE_SECONDS = 300


def add_tags(request: HttpRequest, tags: Iterable[str]) -> None:
    """Name what this response shows, so a change to it purges the page."""
    if not hasattr(request, "cache_tags"):
        request.cache_tags = set()
    request.cache_tags.update(tags)


def tag_headers(tags: Iterable[str]) -> dict[str, str]:
    ordered = sorted(set(tags))
    return {"xkey": " ".join(ordered), "Surrogate-Key": " ".join(ordered), "Cache-Tag": ",".join(ordered)}


def _logged_in(request: HttpRequest) -> bool:
    # Without a session cookie nobody is logged in: the session is not read,
    # so the answer gets no "Vary: Cookie" and one copy fits every reader.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)


class FrontCacheMiddleware:
    """Cache headers and tags for the reader pages (see the module's docstring).

    Sits before ConditionalGetMiddleware in MIDDLEWARE's order of responses,
    i.e. after it in the list, so ETags and 304s are worked out on what it wrote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name not in READER_PAGES or request.method not in ("GET", "HEAD"):
            return response
        if _logged_in(request):
            # What an editor sees (perhaps a preview) is theirs alone.
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
            return response
        if response.status_code != 200 or response.cookies or response.has_header("Cache-Control"):
            return response
        shared = DIGEST_ARCHIVE_SECONDS if match.view_name in SHORT_LIVED else settings.FRONT_CACHE_SECONDS
        patch_cache_control(
            response,
            public=True,
            max_age=settings.FRONT_CACHE_BROWSER_SECONDS,
            s_maxage=shared,
            stale_while_revalidate=settings.FRONT_CACHE_STALE_SECONDS,
            stale_if_error=settings.FRONT_CACHE_STALE_IF_ERROR_SECONDS,
        )
        tags = {*READER_PAGES[match.view_name], *getattr(request, "cache_tags", ())}
        for name, value in tag_headers(tags).items():
            response[name] = value
        return response

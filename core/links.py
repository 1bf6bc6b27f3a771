"""Our own addresses: reversed URLs of the reader pages, remembered, and absolute URLs
on ``SITE_URL`` for whatever leaves the site (mail, feeds, structured data, preview links).

An article page prints some twenty of our own addresses (header, footer, topics, related
articles); their ``reverse()`` is a measurable share of a page rendered past the front
cache (docs/benchmarks.md). The answer depends only on the pattern, its slug, the URLconf
and the script prefix, so it is remembered per that key; a change of ROOT_URLCONF (tests)
forgets everything."""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


def absolute_url(path_or_url: str) -> str:
    """A site-relative path on ``SITE_URL``'s origin; an address that is absolute already
    (a file on another storage's host) as it is."""
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return f"{settings.SITE_URL}{path_or_url}"


def route_url(name: str, slug: str | None = None) -> str:
    """``reverse(name)``, or ``reverse(name, kwargs={"slug": slug})``, remembered."""
    return _reversed(get_urlconf(), get_script_prefix(), name, slug)


@functools.lru_cache(maxsize=4096)
def _reversed(urlconf: str | None, prefix: str, name: str, slug: str | None) -> str:
    return reverse(name, urlconf=urlconf, kwargs=None if slug is None else {"slug": slug})


@receiver(setting_changed, dispatch_uid="core.links.forget")
def _forget(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()

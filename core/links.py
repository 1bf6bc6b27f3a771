"""Reversed URLs of the reader pages, remembered.

An article page prints about twenty of our own addresses (header, footer, topics,
related articles), each a ``reverse()`` of 25 µs here: a tenth of the page's own
work when the front cache misses (docs/benchmarks.md). The answer depends only on
the pattern, its slug, the URLconf and the script prefix, so it is remembered per
that key; a change of ROOT_URLCONF (tests) forgets everything."""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


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

"""URLs and static file addresses that every page prints, worked out once per process.

reverse() and the manifest lookup behind {% static %} cost tens of microseconds
each; a page prints a dozen of them, and their answers change only with the code
(URL patterns) or a deploy (the static manifest), both of which restart the
processes."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def named_url(name: str) -> str:
    """reverse() for a URL pattern that takes no arguments, remembered."""
    return _named_url(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _named_url(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name, urlconf=urlconf)

"""URLs and static file addresses that pages print again and again, worked out once per process.

reverse() and the manifest lookup behind Django's static() cost tens of
microseconds each, more than the rest of an article card; a page prints dozens
of them, and their answers change only with the code (URL patterns) or a deploy
(the static manifest), both of which restart the processes."""

import functools

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import get_script_prefix, get_urlconf, reverse


def named_url(name: str, slug: str | None = None) -> str:
    """reverse() for a URL pattern that takes no arguments or only a slug, remembered.

    Not for namespaces with several instances (the admin's): no current_app here."""
    return _named_url(name, slug, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=16384)
def _named_url(name: str, slug: str | None, prefix: str, urlconf: str) -> str:
    return reverse(name, kwargs=None if slug is None else {"slug": slug}, urlconf=urlconf)


def static(path: str) -> str:
    """Django's static(), straight to the storage, which remembers each URL
    (vivold/storage.py), without asking the app registry each time."""
    return staticfiles_storage.url(path)

"""Absolute URLs on ``SITE_URL`` for whatever leaves the site (mail, feeds, structured data,
preview links)."""

from django.conf import settings


def absolute_url(path_or_url: str) -> str:
    """A site-relative path on ``SITE_URL``'s origin; an address that is absolute already
    (a file on another storage's host) as it is."""
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return f"{settings.SITE_URL}{path_or_url}"

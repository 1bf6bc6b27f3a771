"""Purge-by-tag clients for each front cache the site can sit behind.

``FRONT_CACHE_PURGER`` chooses one (``varnish`` is the default when ``FRONT_CACHE_URL``
is set, ``none`` otherwise):

- ``varnish``: an HTTP ``PURGE`` to each address in ``FRONT_CACHE_URL`` (comma-separated,
  one per Varnish) with the tags in ``xkey-softpurge`` (or ``xkey-purge``), which
  ``deploy/varnish/vivold.vcl`` hands to the xkey module. No client library exists
  for that: it is one plain request.
- ``fastly``: Fastly's purge-by-surrogate-key API through Fastly's own client
  (``fastly``), soft purges by default.
- ``cloudflare``: Cloudflare's purge-by-Cache-Tag API through Cloudflare's own client
  (``cloudflare``); Cloudflare purges are always hard.
- ``none``: nothing is sent.

Each raises ``PurgeError`` when the front cache did not take the purge, so the
task that called it retries.
"""

import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TIMEOUT_SECONDS = 10


class PurgeError(Exception):
    pass


class Purger(Protocol):
    def purge(self, tags: Sequence[str]) -> None: ...


def _batches(tags: Sequence[str], size: int) -> Iterator[list[str]]:
    ordered = sorted(set(tags))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


@contextmanager
def _refusal_raised(who: str, *refusals: type[Exception]) -> Iterator[None]:
    """A front cache's refusal (or silence) as PurgeError, so the task that called retries."""
    try:
        yield
    except refusals as exc:
        raise PurgeError(f"{who} did not take the purge: {exc}") from exc


class NoPurger:
    def purge(self, tags: Sequence[str]) -> None:
        return None


@dataclass(frozen=True)
class VarnishPurger:
    urls: tuple[str, ...]
    soft: bool = True
    # Keeps each request's header well under Varnish's 8 KB header limit.
    batch: int = 200

    def purge(self, tags: Sequence[str]) -> None:
        header = "xkey-softpurge" if self.soft else "xkey-purge"
        for url in self.urls:
            for batch in _batches(tags, self.batch):
                request = urllib.request.Request(url, method="PURGE", headers={header: " ".join(batch)})  # noqa: S310 - our own setting
                with (
                    _refusal_raised(f"Varnish at {url}", urllib.error.URLError, OSError),
                    urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response,  # noqa: S310
                ):
                    response.read()


@dataclass(frozen=True)
class FastlyPurger:
    service_id: str
    api_token: str
    api_url: str = ""
    soft: bool = True
    batch: int = 256  # the API's limit per request

    def purge(self, tags: Sequence[str]) -> None:
        import fastly
        from fastly.api.purge_api import PurgeApi
        from fastly.model.purge_response import PurgeResponse

        configuration = fastly.Configuration(host=self.api_url or None)
        configuration.api_token = self.api_token
        with fastly.ApiClient(configuration) as client:
            api = PurgeApi(client)
            for batch in _batches(tags, self.batch):
                options = {"fastly_soft_purge": 1} if self.soft else {}
                with _refusal_raised("Fastly", fastly.ApiException, OSError):
                    api.bulk_purge_tag(
                        self.service_id,
                        purge_response=PurgeResponse(surrogate_keys=batch),
                        _request_timeout=TIMEOUT_SECONDS,
                        **options,
                    )


@dataclass(frozen=True)
class CloudflarePurger:
    zone_id: str
    api_token: str
    api_url: str = ""
    batch: int = 100  # the API's limit of tags per request

    def purge(self, tags: Sequence[str]) -> None:
        import cloudflare

        # Celery retries with backoff: the client's own retries would only stack on them.
        client = cloudflare.Cloudflare(
            api_token=self.api_token, base_url=self.api_url or None, max_retries=0, timeout=TIMEOUT_SECONDS
        )
        with client:
            for batch in _batches(tags, self.batch):
                with _refusal_raised("Cloudflare", cloudflare.APIError):
                    client.cache.purge(zone_id=self.zone_id, tags=batch)


def purger_from_settings() -> Purger:
    kind = settings.FRONT_CACHE_PURGER
    if kind == "none":
        return NoPurger()
    if kind == "varnish":
        urls = tuple(url.strip() for url in settings.FRONT_CACHE_URL.split(",") if url.strip())
        if not urls:
            raise ImproperlyConfigured("FRONT_CACHE_PURGER=varnish needs FRONT_CACHE_URL, e.g. http://127.0.0.1:6081")
        return VarnishPurger(urls=urls, soft=settings.FRONT_CACHE_SOFT_PURGE)
    if kind == "fastly":
        return FastlyPurger(
            service_id=settings.FASTLY_SERVICE_ID,
            api_token=settings.FASTLY_API_TOKEN,
            api_url=settings.FASTLY_API_URL,
            soft=settings.FRONT_CACHE_SOFT_PURGE,
        )
    if kind == "cloudflare":
        return CloudflarePurger(
            zone_id=settings.CLOUDFLARE_ZONE_ID,
            api_token=settings.CLOUDFLARE_API_TOKEN,
            api_url=settings.CLOUDFLARE_API_URL,
        )
    raise ImproperlyConfigured(f"FRONT_CACHE_PURGER={kind!r}: use varnish, fastly, cloudflare or none.")

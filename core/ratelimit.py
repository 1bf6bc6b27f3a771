"""Fixed-window request counting in Django's cache.

With REDIS_URL set the cache is Redis, so the count holds across every web
process; keys carry a keyed hash of what they count, never an address in clear.
Limits can be changed with the RATE_LIMITS setting (scope: (requests, seconds)).
"""

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int


DEFAULT_LIMITS = {
    # Signups from one client address: generous for a shared office or campus network.
    "subscribe-ip": Limit(20, 60 * 60),
    # Requests naming one mailbox, whoever sends them.
    "subscribe-address": Limit(5, 60 * 60),
    # "Send me a new link" from an expired confirmation page.
    "resend-ip": Limit(10, 60 * 60),
    # Searches from one client address: a reader paging through results stays far below it,
    # a script repeating costly searches does not (each one is bounded too: articles/search.py).
    "search-ip": Limit(30, 60),
}


def limit_for(scope: str) -> Limit:
    value = settings.RATE_LIMITS.get(scope, DEFAULT_LIMITS[scope])
    return value if isinstance(value, Limit) else Limit(*value)


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def hit(scope: str, value: str) -> bool:
    """Count one request; False once `value` has used up its allowance in this window."""
    limit = limit_for(scope)
    window = int(time.time() // limit.seconds)
    key = f"rl:{scope}:{window}:{_digest(value)}"
    try:
        # add() then incr() is atomic in Redis and in the local-memory cache alike.
        cache.add(key, 0, timeout=limit.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=limit.seconds + 1)
            count = 1
    except Exception:  # noqa: BLE001 - a cache outage must not turn readers away with a 500
        logger.warning("Rate limit not counted: the cache did not answer", exc_info=True)
        return True
    return count <= limit.requests

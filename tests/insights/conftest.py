"""Each insights test starts with no counters in Redis and no per-process memory of salts or slugs."""

import pytest
from django.conf import settings

from insights import counting

DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile Safari/604.1"
)


def redis_keys() -> list[bytes]:
    client = counting.redis_client()
    return list(client.scan_iter(match=f"{counting.PREFIX}:*")) if client is not None else []


def _forget() -> None:
    counting.article_ids_forget()
    counting._salt_memo.clear()
    if settings.REDIS_URL:
        keys = redis_keys()
        if keys:
            counting.redis_client().delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_insights():
    _forget()
    yield
    _forget()


@pytest.fixture
def without_redis(settings):
    """The embedded default: no Redis, the beacon writes to the database."""
    settings.REDIS_URL = ""
    yield


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def counting_mode(request, settings):
    """Run a test both ways: straight into the database, and through Redis and a flush."""
    if request.param == "database":
        settings.REDIS_URL = ""
    return request.param


def beacon(client, path: str, *, referrer: str = "", user_agent: str = DESKTOP_UA, ip: str = "198.51.100.7", **headers):
    return client.post(
        "/insights/beacon/",
        {"u": path, "r": referrer},
        HTTP_USER_AGENT=user_agent,
        REMOTE_ADDR=ip,
        HTTP_SEC_FETCH_SITE="same-origin",
        **headers,
    )

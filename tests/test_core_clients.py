"""The client address every limiter counts on: REMOTE_ADDR, or behind the front cache the
address the trusted proxy appended to X-Forwarded-For."""

import pytest
from django.test import RequestFactory

from core.clients import client_ip


@pytest.mark.parametrize(
    ("behind_proxy", "meta", "expected"),
    [
        (False, {"REMOTE_ADDR": "192.0.2.7"}, "192.0.2.7"),
        (False, {"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "192.0.2.7"),
        (True, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.9"}, "203.0.113.9"),
        (True, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": " 2001:DB8::1 "}, "2001:db8::1"),
        (True, {"REMOTE_ADDR": "127.0.0.1"}, "127.0.0.1"),
        (True, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "unknown"}, None),
        (False, {"REMOTE_ADDR": ""}, None),
    ],
)
def test_client_ip(settings, behind_proxy, meta, expected):
    settings.BEHIND_PROXY = behind_proxy
    request = RequestFactory().get("/", **meta)
    assert client_ip(request) == expected

"""What a request may be counted for, and how its referrer, campaign and device are read."""

import pytest
from django.test import RequestFactory

from insights import reader

from .conftest import DESKTOP_UA, PHONE_UA


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
    ],
)
def test_known_bots_are_not_counted(user_agent):
    assert reader.is_bot(user_agent)


@pytest.mark.parametrize("user_agent", [DESKTOP_UA, PHONE_UA])
def test_browsers_are_counted(user_agent):
    assert not reader.is_bot(user_agent)


@pytest.mark.parametrize(
    ("headers", "opted_out"),
    [({"HTTP_SEC_GPC": "1"}, True), ({"HTTP_DNT": "1"}, True), ({"HTTP_DNT": "0"}, False), ({}, False)],
)
def test_privacy_signals(headers, opted_out):
    assert reader.opted_out(RequestFactory().get("/", **headers)) is opted_out


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (DESKTOP_UA, "desktop"),
        (PHONE_UA, "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Safari/604.1", "tablet"),
    ],
)
def test_device_class_is_coarse(user_agent, device):
    assert reader.device_class(user_agent) == device


@pytest.mark.parametrize(
    ("referrer", "domain"),
    [
        ("https://www.linkedin.com/feed/update/123?x=1", "linkedin.com"),
        ("https://news.ycombinator.com", "news.ycombinator.com"),
        ("http://127.0.0.1:8000/", reader.INTERNAL),
        ("", ""),
        ("android-app://com.slack/", ""),
        ("javascript:alert(1)", ""),
        ("https://exa mple.com/", ""),
        ("https://" + "a" * 200 + ".com/", ""),
    ],
)
def test_referrer_is_a_domain_only(referrer, domain):
    assert reader.referrer_domain(referrer, {"127.0.0.1"}) == domain


@pytest.mark.parametrize(
    ("query", "campaign"),
    [
        ("utm_source=LinkedIn&utm_medium=social", "linkedin / social"),
        ("utm_source=digest", "digest / -"),
        ("page=2", ""),
        ("utm_source=<script>&utm_medium=email", "- / email"),
        ("utm_source=" + "x" * 80, ""),
    ],
)
def test_campaign_from_utm_parameters(query, campaign):
    assert reader.campaign(query) == campaign

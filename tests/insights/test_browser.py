"""Readers in Chromium against a live server: what the beacon counts, and what it leaves alone."""

import re
import time

import pytest
from django.core import mail
from django.utils import timezone

from digests.models import Digest
from digests.rendering import digest_render
from insights.models import SignupOrigin
from insights.reports import insights_collect, last_days, report_rows, sources_of
from tests.articles.factories import ArticleFactory

from .conftest import DESKTOP_UA, PHONE_UA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _report(slug: str) -> dict:
    return next((row for row in report_rows(days=1) if row["slug"] == slug), {"views": 0, "visitors": 0})


def _wait_for(slug: str, **expected) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        row = _report(slug)
        if all(row.get(key) == value for key, value in expected.items()):
            return row
        time.sleep(0.1)
    return _report(slug)


def _open(page, url: str, **goto) -> int:
    """Load a page and wait for its beacon's answer; returns that answer's status."""
    with page.expect_response(lambda response: "/insights/beacon/" in response.url) as beacon:
        page.goto(url, **goto)
    return beacon.value.status


def test_three_views_in_two_browsers_are_two_visitors(live_server, browser):
    article = ArticleFactory(slug="chips-export-rules")
    url = live_server.url + article.get_absolute_url()
    desktop = browser.new_context(user_agent=DESKTOP_UA)
    phone = browser.new_context(user_agent=PHONE_UA, viewport={"width": 390, "height": 844})
    try:
        desktop_page, phone_page = desktop.new_page(), phone.new_page()
        assert _open(desktop_page, url) == 204
        assert _open(desktop_page, url) == 204
        assert _open(phone_page, url) == 204
        # No cookie of ours (the signup form's CSRF cookie goes when reader pages drop CSRF).
        assert all(cookie["name"] == "csrftoken" for cookie in desktop.cookies() + phone.cookies())
        assert desktop_page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0
    finally:
        desktop.close()
        phone.close()
    row = _wait_for("chips-export-rules", views=3, visitors=2)
    assert (row["views"], row["visitors"]) == (3, 2)


def test_global_privacy_control_counts_nothing(live_server, browser):
    article = ArticleFactory(slug="gpc-reader")
    context = browser.new_context(user_agent=DESKTOP_UA, extra_http_headers={"Sec-GPC": "1"})
    try:
        page = context.new_page()
        for _ in range(2):
            assert _open(page, live_server.url + article.get_absolute_url()) == 204  # answered, not counted
    finally:
        context.close()
    assert _report("gpc-reader") == {"views": 0, "visitors": 0}
    assert report_rows(days=1) == []


def test_a_reader_who_subscribes_from_an_article_and_confirms_is_its_signup(live_server, browser):
    article = ArticleFactory(slug="ports-and-delay", title="Ports and the price of delay")
    context = browser.new_context(user_agent=DESKTOP_UA)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _open(page, live_server.url + article.get_absolute_url(), referer="https://www.linkedin.com/")
        form = page.locator("section.stay-updated form")
        form.get_by_label("Email").fill("reader.from.linkedin@example.com")
        form.get_by_role("button", name="Subscribe").click()
        form.locator(".signup-status").filter(has_text="confirmation link").wait_for()
        origin = SignupOrigin.objects.get()
        assert (origin.article, origin.referrer) == (article, "linkedin.com")
        assert _report("ports-and-delay").get("signups") == 0

        link = re.search(r"https?://\S+?/newsletter/confirm/[^/\s]+/", mail.outbox[-1].body).group(0)
        page.goto(live_server.url + "/newsletter/" + link.split("/newsletter/", 1)[1])
        page.get_by_role("button", name=re.compile("Confirm", re.IGNORECASE)).click()
        page.get_by_role("heading", name=re.compile("subscribed|confirmed", re.IGNORECASE)).first.wait_for()
    finally:
        context.close()
    assert _wait_for("ports-and-delay", signups=1)["signups"] == 1


def test_a_digest_link_redirects_to_the_article_and_counts_once(live_server, browser):
    article = ArticleFactory(slug="grid-storage", title="Grid storage comes of age")
    now = timezone.now()
    digest = Digest.objects.create(
        cadence="weekly", period_start=now, period_end=now, subject="This week", status="sent"
    )
    digest.articles.add(article)
    html = digest_render(digest=digest, articles=[article]).html
    link = re.search(r'href="([^"]+/insights/digest/[^"]+)"', html).group(1).replace("&amp;", "&")
    link = live_server.url + "/insights/" + link.split("/insights/", 1)[1]
    context = browser.new_context(user_agent=DESKTOP_UA)
    try:
        page = context.new_page()
        assert _open(page, link) == 204
        assert page.url == f"{live_server.url}{article.get_absolute_url()}?utm_source=digest&utm_medium=email"
        assert page.locator("h1").inner_text() == "Grid storage comes of age"
    finally:
        context.close()
    row = _wait_for("grid-storage", digest_clicks=1, views=1)
    assert (row["digest_clicks"], row["views"]) == (1, 1)
    first, last = last_days(1)
    assert sources_of(insights_collect(first=first, last=last), "campaign") == [("digest / email", 1)]

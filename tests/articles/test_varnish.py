"""The site behind a real varnishd running deploy/varnish/vivold.vcl (Debian's varnish and
varnish-modules), in front of the live server, with purges sent by the site itself."""

import re
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from articles.models import Article
from newsletter.models import Subscriber
from tests.frontcache import Relay, start_varnish
from tests.integration import celery_worker, smtp_sink  # noqa: F401 - fixtures

from .factories import ArticleFactory, TopicFactory

pytestmark = [pytest.mark.varnish, pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def front_cache(live_server):
    relay = Relay(("127.0.0.1", urlsplit(live_server.url).port))
    with start_varnish(f"127.0.0.1:{relay.port}") as varnish:
        yield SimpleNamespace(varnish=varnish, relay=relay)
    relay.stop()


@pytest.fixture
def varnish(front_cache, settings):
    settings.FRONT_CACHE_PURGER = "varnish"
    settings.FRONT_CACHE_URL = front_cache.varnish.url
    settings.BEHIND_PROXY = True
    return front_cache.varnish


def test_the_second_request_is_a_hit_and_no_reader_page_sets_a_cookie(varnish):
    topic = TopicFactory(slug="hits")
    article = ArticleFactory(topics=[topic], title="Cached for everyone")
    for url in [article.get_absolute_url(), "/", "/topics/hits/", "/feed/", "/sitemap.xml", "/newsletter/"]:
        first_status, first, _ = varnish.get(url, headers={"Cookie": "csrftoken=abc; _ga=1"})
        status, second, body = varnish.get(url)
        assert first_status == status == 200, url
        assert second["x-cache"] == "hit", (url, first["x-cache"], second["x-cache"])
        assert "age" in second, url
        assert "set-cookie" not in first and "set-cookie" not in second, url
        assert "public" in second["cache-control"] and "s-maxage" in second["cache-control"], url
        assert "xkey" not in second, url  # the tags stay in the cache
        assert b"csrfmiddlewaretoken" not in body, url
        assert varnish.get(url, headers={"If-None-Match": second["etag"]})[0] == 304, url


def test_an_edit_purges_its_article_and_the_home_page_and_leaves_an_unrelated_article_cached(varnish):
    edited = ArticleFactory(title="Before the edit", topics=[TopicFactory(slug="edited")])
    unrelated = ArticleFactory(title="Elsewhere entirely", topics=[TopicFactory(slug="unrelated")])
    for url in [edited.get_absolute_url(), unrelated.get_absolute_url(), "/"]:
        varnish.get(url)
        assert varnish.get(url)[1]["x-cache"] == "hit"

    edited.title = "After the edit"
    edited.save()  # committed: the purge leaves at once (tasks run in-process here)

    _, headers, body = varnish.get(edited.get_absolute_url())
    assert headers["x-cache"] == "miss" and b"After the edit" in body
    _, headers, body = varnish.get("/")
    assert headers["x-cache"] == "miss" and b"After the edit" in body and b"Before the edit" not in body
    assert varnish.get(unrelated.get_absolute_url())[1]["x-cache"] == "hit"


@pytest.mark.redis
def test_behind_varnish_and_the_page_cache_an_edit_is_seen_at_once(varnish, settings):
    settings.PAGE_CACHE_SECONDS = 3600
    article = ArticleFactory(title="Kept in two caches")
    url = article.get_absolute_url()
    varnish.get(url)
    assert varnish.get(url)[1]["x-cache"] == "hit"
    redis = cache._cache.get_client()
    assert redis.keys("*pagecache:page:*"), "the page reached the page cache too"

    article.title = "Edited behind both"
    article.save()

    _, headers, body = varnish.get(url)
    assert headers["x-cache"] == "miss" and b"Edited behind both" in body


def test_a_logged_in_editor_is_passed_through_and_sees_the_draft_preview(varnish):
    draft = ArticleFactory(title="Not out yet", status=Article.Status.DRAFT, published_at=None)
    published = ArticleFactory(title="Out already")
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_article"))
    browser = Client()
    browser.force_login(editor)
    cookie = f"csrftoken=abc; sessionid={browser.cookies['sessionid'].value}"

    assert varnish.get(draft.get_absolute_url())[0] == 404
    status, headers, body = varnish.get(draft.get_absolute_url(), headers={"Cookie": cookie})
    assert status == 200 and b"Draft preview" in body and b"Not out yet" in body
    assert headers["x-cache"] == "pass" and "no-store" in headers["cache-control"]
    assert varnish.get(draft.get_absolute_url())[0] == 404  # the preview was kept for nobody

    varnish.get(published.get_absolute_url())
    assert varnish.get(published.get_absolute_url())[1]["x-cache"] == "hit"
    assert varnish.get(published.get_absolute_url(), headers={"Cookie": cookie})[1]["x-cache"] == "pass"
    assert varnish.get("/admin/", headers={"Cookie": cookie})[1]["x-cache"] == "pass"


def test_a_signup_from_a_cached_page_works_and_a_cross_site_one_is_refused(varnish):
    article = ArticleFactory(title="Sign up under me")
    varnish.get(article.get_absolute_url())
    _, headers, page = varnish.get(article.get_absolute_url())
    assert headers["x-cache"] == "hit"
    action = re.search(rb'<form class="signup-form" method="post" action="([^"]+)"', page).group(1).decode()

    origin = varnish.url
    body = urlencode({"email": "reader@example.com", "source": article.get_absolute_url()}).encode()
    same_site = {**FORM, "Origin": origin, "Sec-Fetch-Site": "same-origin"}
    status, headers, _ = varnish.request("POST", action, headers=same_site, body=body)
    assert status == 302 and headers["location"].endswith("/newsletter/subscribed/")
    assert "set-cookie" not in headers
    assert Subscriber.objects.get(email="reader@example.com").status == Subscriber.Status.PENDING

    cross = {**FORM, "Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
    body = urlencode({"email": "victim@example.com"}).encode()
    status, _, answer = varnish.request("POST", action, headers=cross, body=body)
    assert status == 403 and b"only be sent from a page of this site" in answer
    assert not Subscriber.objects.filter(email="victim@example.com").exists()


@pytest.mark.redis
def test_behind_varnish_each_client_address_has_its_own_signup_limit(varnish):
    # Varnish appends the address each connection comes from (127.0.0.N) to X-Forwarded-For.
    for n in range(30):
        body = urlencode({"email": f"reader{n}@example.com"}).encode()
        status, _, _ = varnish.request("POST", "/newsletter/subscribe/", headers=FORM, body=body, source=f"127.0.1.{n}")
        assert status == 302, n
    statuses = []
    for n in range(21):
        body = urlencode({"email": f"office{n}@example.com"}).encode()
        # What a client writes in X-Forwarded-For itself proves nothing.
        forged = {**FORM, "X-Forwarded-For": f"10.9.9.{n}"}
        statuses.append(
            varnish.request("POST", "/newsletter/subscribe/", headers=forged, body=body, source="127.0.2.1")[0]
        )
    assert statuses == [302] * 20 + [429]
    assert Subscriber.objects.count() == 50


def test_a_purged_article_is_served_stale_while_the_backend_is_down(live_server, settings):
    relay = Relay(("127.0.0.1", urlsplit(live_server.url).port))
    with start_varnish(f"127.0.0.1:{relay.port}") as varnish:
        settings.FRONT_CACHE_PURGER = "varnish"
        settings.FRONT_CACHE_URL = varnish.url
        article = ArticleFactory(title="Worth keeping", published_at=timezone.now() - timedelta(days=1))
        varnish.get(article.get_absolute_url())
        assert varnish.get(article.get_absolute_url())[1]["x-cache"] == "hit"

        article.dek = "An edit that marks the page stale"
        article.save()  # soft purge
        relay.stop()

        status, headers, body = varnish.get(article.get_absolute_url())
        assert status == 200 and b"Worth keeping" in body
        assert b"An edit that marks" not in body  # the copy from before the edit, from grace
        assert headers["x-cache"] == "hit"
        # Nothing was ever cached for this one: an error, not someone else's page.
        assert varnish.get("/articles/never-fetched/")[0] == 503


@pytest.mark.browser
def test_in_chromium_a_reader_signs_up_from_a_cached_article_and_gets_no_cookie(varnish, page):
    from playwright.sync_api import expect

    article = ArticleFactory(title="Read me in a browser")
    url = varnish.url + article.get_absolute_url()
    varnish.get(article.get_absolute_url())  # now in the cache
    response = page.goto(url)
    assert response.headers["x-cache"] == "hit"
    form = page.locator("form.signup-form").first
    form.get_by_label("Email").fill("browser.reader@example.com")
    form.get_by_role("button", name="Subscribe").click()
    expect(form.locator(".signup-status")).to_contain_text("confirmation link is on its way")
    assert page.context.cookies() == []
    assert Subscriber.objects.filter(email="browser.reader@example.com").exists()


def test_purges_are_refused_from_addresses_not_allowed(varnish):
    article = ArticleFactory()
    varnish.get(article.get_absolute_url())
    status, _, _ = varnish.request("PURGE", "/", headers={"xkey-purge": f"article-{article.pk}"}, source="127.0.3.1")
    assert status == 403
    assert varnish.get(article.get_absolute_url())[1]["x-cache"] == "hit"
    status, _, body = varnish.request("PURGE", "/", headers={"xkey-purge": f"article-{article.pk}"})
    assert status == 200 and b"Purged 1 objects" in body


@pytest.fixture
def purge_relay(front_cache, monkeypatch, settings):
    """Purges reach Varnish through a relay the test can cut; the worker is told where."""
    relay = Relay(("127.0.0.1", front_cache.varnish.port))
    url = f"http://127.0.0.1:{relay.port}"
    monkeypatch.setenv("FRONT_CACHE_URL", url)  # for the worker process
    settings.FRONT_CACHE_PURGER, settings.FRONT_CACHE_URL = "varnish", url
    yield relay
    relay.stop()


@pytest.mark.redis
@pytest.mark.worker
def test_a_purge_goes_through_celery_and_is_retried_until_varnish_takes_it(
    front_cache,
    purge_relay,
    celery_worker,  # noqa: F811
):
    varnish = front_cache.varnish
    article = ArticleFactory(title="Queued purge")
    varnish.get(article.get_absolute_url())
    assert varnish.get(article.get_absolute_url())[1]["x-cache"] == "hit"

    purge_relay.stop()  # Varnish cannot be reached for purges
    article.dek = "Seen once the purge gets through"
    article.save()  # the editor's save succeeds; the purge waits in the queue
    deadline = time.monotonic() + 20
    while "Retry in" not in celery_worker.output:
        assert time.monotonic() < deadline, celery_worker.output[-3000:]
        time.sleep(0.2)
    assert b"Seen once" not in varnish.get(article.get_absolute_url())[2]

    restored = Relay(("127.0.0.1", varnish.port), port=purge_relay.port)
    try:
        deadline = time.monotonic() + 60
        while b"Seen once the purge gets through" not in varnish.get(article.get_absolute_url())[2]:
            assert time.monotonic() < deadline, celery_worker.output[-3000:]
            time.sleep(0.2)
    finally:
        restored.stop()

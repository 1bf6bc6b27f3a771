"""The page cache (core/pagecache.py) on a real Redis: reader pages rendered once and served
without a query, until a purge of one of their tags; nothing kept for editors, for
addresses a crawler could multiply, or while Redis is away."""

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, RelatedArticle
from articles.purge import scheduled_articles_purge
from articles.tasks import scheduled_articles_purge_task
from core import pagecache
from tests.articles.factories import ArticleFactory, TopicFactory
from tests.frontcache import recording_server  # noqa: F401 - a fixture
from tests.integration import free_port, redis_server  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture(autouse=True)
def _redis_never_away():
    pagecache._away_until = 0.0
    yield
    pagecache._away_until = 0.0


@pytest.fixture
def site(settings):
    # Made before the page cache is on, as if long published: the test's own changes are
    # the only purges waiting for the (never committed) test transaction.
    settings.PAGE_CACHE_SECONDS = 0
    topic = TopicFactory(name="Markets", slug="markets")
    article = ArticleFactory(title="Rates and their reach", topics=[topic])
    other = ArticleFactory(title="Chips at the border", topics=[topic])
    unrelated = ArticleFactory(title="Ports in winter", topics=[TopicFactory(slug="shipping")])
    RelatedArticle.objects.create(article=article, related=other, position=0)
    settings.PAGE_CACHE_SECONDS = 3600
    return {"topic": topic, "article": article, "other": other, "unrelated": unrelated}


def redis_cache(location: str) -> dict:
    """CACHES on another Redis, with short timeouts so a test of one that is away is quick."""
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    return {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": location, "OPTIONS": options}}


def get(url: str, client: Client | None = None, **headers):
    """The answer and the number of SQL statements it cost."""
    with CaptureQueriesContext(connection) as queries:
        response = (client or Client()).get(url, headers=headers)
    return response, len(queries)


def served_from_cache(url: str, **headers) -> bool:
    return get(url, **headers)[1] == 0


def test_reader_pages_are_rendered_once_then_served_without_a_query(site):
    for url in [
        site["article"].get_absolute_url(),
        "/",
        "/?page=1",
        site["topic"].get_absolute_url(),
        "/feed/",
        "/sitemap.xml",
        "/newsletter/digests/",
    ]:
        first, queries = get(url)
        assert first.status_code == 200 and queries > 0, url
        second, queries = get(url)
        assert queries == 0, url
        assert second.status_code == 200 and second.content == first.content, url
        for header in ("Content-Type", "Cache-Control", "xkey", "Surrogate-Key", "Content-Security-Policy"):
            assert second[header] == first[header], (url, header)
        assert not second.cookies, url
        assert second["ETag"] == first["ETag"], url
        assert get(url, If_None_Match=first["ETag"])[0].status_code == 304, url


def test_an_edit_is_seen_at_once_and_an_unrelated_article_stays_cached(site, django_capture_on_commit_callbacks):
    article, unrelated = site["article"], site["unrelated"]
    for url in [article.get_absolute_url(), unrelated.get_absolute_url(), "/"]:
        get(url)
        assert served_from_cache(url), url

    with django_capture_on_commit_callbacks(execute=True):
        article.title = "Rates, read again"
        article.save()

    for url in [article.get_absolute_url(), "/"]:
        response, queries = get(url)
        assert queries > 0 and b"Rates, read again" in response.content, url
    assert served_from_cache(unrelated.get_absolute_url())
    # The related-articles box of the other article's page names it too.
    response, queries = get(site["other"].get_absolute_url())
    assert queries > 0


def test_a_page_from_the_cache_says_its_age(site):
    url = site["article"].get_absolute_url()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert "Age" not in get(url)[0]
    with time_machine.travel(start + timedelta(seconds=100), tick=False):
        response, queries = get(url)
        assert queries == 0 and response["Age"] == "100"


def test_a_new_release_renders_its_pages_afresh(site, settings, tmp_path):
    url = site["article"].get_absolute_url()
    get(url)
    assert served_from_cache(url)
    (tmp_path / "staticfiles.json").write_text('{"paths": {"css/site.css": "css/site.0123456789ab.css"}}')
    settings.STATIC_ROOT = tmp_path  # the static manifest of another deploy
    pagecache.release.cache_clear()
    try:
        assert not served_from_cache(url)
        assert served_from_cache(url)
    finally:
        pagecache.release.cache_clear()


def test_the_release_follows_the_code_and_templates(settings, tmp_path):
    (tmp_path / "articles").mkdir()
    template = tmp_path / "articles" / "page.html"
    template.write_text("<h1>{{ title }}</h1>")
    (tmp_path / "var").mkdir()
    settings.BASE_DIR, settings.STATIC_ROOT = tmp_path, tmp_path / "staticfiles"
    pagecache.release.cache_clear()
    try:
        first = pagecache.release()
        (tmp_path / "var" / "db.sqlite3.txt").write_text("local state, not the release")
        pagecache.release.cache_clear()
        assert pagecache.release() == first
        template.write_text("<h1 class=title>{{ title }}</h1>")
        pagecache.release.cache_clear()
        assert pagecache.release() != first
    finally:
        pagecache.release.cache_clear()


def test_one_copy_serves_every_allowed_host_and_others_are_refused(site, settings):
    settings.ALLOWED_HOSTS = ["vivold.example", "www.vivold.example"]
    url = site["article"].get_absolute_url()
    with CaptureQueriesContext(connection) as queries:
        Client(HTTP_HOST="vivold.example").get(url)
        again = Client(HTTP_HOST="www.vivold.example").get(url)
    assert again.status_code == 200 and len(queries) > 0
    assert Client(HTTP_HOST="evil.example").get(url).status_code == 400
    with CaptureQueriesContext(connection) as queries:
        assert Client(HTTP_HOST="www.vivold.example").get(url).status_code == 200
    assert len(queries) == 0


def test_an_entry_it_cannot_read_is_rendered_afresh(site, rf):
    url = site["article"].get_absolute_url()
    cache.set(pagecache._page_key(rf.get(url)), ("written", "by", "another", "release", "shape"))
    response, queries = get(url)
    assert response.status_code == 200 and queries > 0
    assert served_from_cache(url)


def test_a_page_rendered_around_a_purge_is_not_trusted(site):
    url = site["article"].get_absolute_url()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        get(url)
    with time_machine.travel(start + timedelta(seconds=0.5), tick=False):
        pagecache.tags_purged([f"article-{site['article'].pk}"])
        assert not served_from_cache(url)
    # Begun within the clocks' allowance of the purge: rendered again, not served.
    with time_machine.travel(start + timedelta(seconds=0.7), tick=False):
        assert not served_from_cache(url)
    with time_machine.travel(start + timedelta(seconds=2), tick=False):
        assert not served_from_cache(url)
    with time_machine.travel(start + timedelta(seconds=3), tick=False):
        assert served_from_cache(url)


def test_a_scheduled_article_reaches_the_cached_home_page_when_its_time_comes(
    site, settings, django_capture_on_commit_callbacks
):
    due = timezone.now() + timedelta(minutes=10)
    settings.PAGE_CACHE_SECONDS = 0  # scheduled before the test, like the site
    ArticleFactory(title="Held until the hour", published_at=due)
    settings.PAGE_CACHE_SECONDS = 3600
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        get("/")
        response, queries = get("/")
        assert queries == 0 and b"Held until the hour" not in response.content
    with time_machine.travel(due + timedelta(seconds=30), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            scheduled_articles_purge()
        response, _ = get("/")
        assert b"Held until the hour" in response.content


def test_editors_and_readers_with_a_message_get_their_own_page(site):
    draft = ArticleFactory(title="Not out yet", status=Article.Status.DRAFT, published_at=None)
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_article"))
    browser = Client()
    browser.force_login(editor)

    for _ in range(2):
        response, queries = get(draft.get_absolute_url(), browser)
        assert response.status_code == 200 and b"Draft preview" in response.content and queries > 0
    assert get(draft.get_absolute_url())[0].status_code == 404

    url = site["article"].get_absolute_url()
    get(url)
    assert served_from_cache(url)
    response, queries = get(url, browser)
    assert queries > 0 and "private" in response["Cache-Control"]
    assert not served_from_cache(url, Cookie="messages=abc")
    assert served_from_cache(url, Cookie="csrftoken=abc; _ga=GA1.1")


def test_addresses_a_crawler_could_multiply_are_not_kept(site):
    article = site["article"].get_absolute_url()
    for url in [
        "/search/?q=rates",
        "/?utm_source=digest",
        "/?page=2&sort=x",
        "/?page=999",
        "/?page=junk&page=1",
        "/?page=01",
        "/?&",
        "/?page=1&page=1",
        "/?page=%31",
        "/?pag%65=1",
        f"{article}?page=7",
    ]:
        get(url)
        assert not served_from_cache(url), url
    get("/?page=1")
    assert served_from_cache("/?page=1")
    # A page past the end is answered but private, so kept by nobody.
    assert "private" in get("/?page=999")[0]["Cache-Control"]


def test_with_redis_away_pages_are_rendered_and_edits_saved(site, settings, caplog, django_capture_on_commit_callbacks):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    url = site["article"].get_absolute_url()
    with caplog.at_level(logging.WARNING, logger="core.pagecache"):
        first, queries = get(url)
        assert first.status_code == 200 and queries > 0
        second, queries = get(url)
        assert second.status_code == 200 and queries > 0
    assert sum("Page cache unavailable" in record.getMessage() for record in caplog.records) == 1

    with caplog.at_level(logging.ERROR, logger="core.pagecache"), django_capture_on_commit_callbacks(execute=True):
        site["article"].title = "Saved with Redis away"
        site["article"].save()
    assert Article.objects.get(pk=site["article"].pk).title == "Saved with Redis away"
    assert any("kept until Redis answers" in record.getMessage() for record in caplog.records)


def test_a_purge_redis_could_not_take_is_recorded_before_its_old_pages_are_served(
    site,
    settings,
    redis_server,  # noqa: F811 - the fixture imported above
    recording_server,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.CACHES = redis_cache(redis_server.url())
    monkeypatch.setattr(pagecache, "RETRY_SECONDS", 0.0)  # production waits 5 s before trying Redis again
    settings.FRONT_CACHE_PURGER = "varnish"
    settings.FRONT_CACHE_URL = recording_server.url
    url = site["article"].get_absolute_url()
    get(url)
    assert served_from_cache(url)

    redis_server.hang()  # Redis keeps its data and answers nothing, as in a network partition
    with django_capture_on_commit_callbacks(execute=True):
        site["article"].title = "Edited while Redis hung"
        site["article"].save()
    redis_server.resume()

    response, queries = get(url)
    assert queries > 0 and b"Edited while Redis hung" in response.content
    assert not pagecache._unrecorded
    # The front cache was purged at the save and again once Redis took the purge: in between
    # it could have fetched the old page from another process's page cache.
    tag = f"article-{site['article'].pk}"
    purged = [r for r in recording_server.requests if r.method == "PURGE" and tag in r.headers["xkey-softpurge"]]
    assert len(purged) == 2
    time.sleep(pagecache.CLOCK_SKEW_SECONDS)  # rendered this long after the purge, a page is kept again
    get(url)
    assert served_from_cache(url)


def test_a_worker_records_what_it_kept_within_the_minute(
    site,
    settings,
    redis_server,  # noqa: F811 - the fixture imported above
    django_capture_on_commit_callbacks,
):
    settings.CACHES = redis_cache(redis_server.url())
    tag = f"article-{site['article'].pk}"
    redis_server.hang()
    with django_capture_on_commit_callbacks(execute=True):  # a purge made in a Celery worker
        site["article"].save()
    redis_server.resume()
    assert tag in pagecache._unrecorded
    scheduled_articles_purge_task.apply()  # beat's every-minute task
    assert not pagecache._unrecorded
    assert cache.get(f"pagecache:purged:{tag}") is not None


def test_with_the_page_cache_off_every_request_is_rendered(site, settings):
    settings.PAGE_CACHE_SECONDS = 0
    url = site["article"].get_absolute_url()
    get(url)
    assert not served_from_cache(url)

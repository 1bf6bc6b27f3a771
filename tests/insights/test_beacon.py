"""The beacon's endpoint: what it counts, what it refuses, and that it never sets a cookie."""

import pytest
from django.utils import timezone

from articles.models import Article
from insights.flushing import counters_flush
from insights.models import ArticleDay, SiteDay, SourceDay, VisitorDay
from insights.reports import report_rows
from tests.articles.factories import ArticleFactory

from .conftest import PHONE_UA, beacon

pytestmark = pytest.mark.django_db


def _settle(mode: str) -> None:
    if mode == "redis":
        counters_flush()


def test_views_visitors_and_sources_are_counted_per_article_and_day(client, counting_mode):
    article = ArticleFactory(slug="chips-and-rules")
    other = ArticleFactory(slug="ports-and-delay")
    path = article.get_absolute_url()
    assert beacon(client, path, referrer="https://www.linkedin.com").status_code == 204
    assert beacon(client, path + "?utm_source=LinkedIn&utm_medium=social").status_code == 204
    assert beacon(client, path, user_agent=PHONE_UA, referrer="https://news.ycombinator.com").status_code == 204
    assert beacon(client, other.get_absolute_url(), referrer="http://testserver/").status_code == 204
    _settle(counting_mode)

    today = timezone.localdate()
    row = ArticleDay.objects.get(article=article, day=today)
    assert (row.views, row.visitors) == (3, 2)  # same address, two user agents: two visitors
    assert (ArticleDay.objects.get(article=other).views, ArticleDay.objects.get(article=other).visitors) == (1, 1)
    site = SiteDay.objects.get(day=today)
    assert (site.views, site.visitors) == (4, 2)
    sources = {(s.kind, s.value): s.views for s in SourceDay.objects.filter(article=article)}
    assert sources == {
        ("referrer", "linkedin.com"): 1,
        ("referrer", ""): 1,
        ("referrer", "news.ycombinator.com"): 1,
        ("campaign", "linkedin / social"): 1,
        ("device", "desktop"): 2,
        ("device", "mobile"): 1,
    }
    assert SourceDay.objects.get(article=other, kind="referrer").value == "internal"


def test_report_counts_what_redis_has_not_flushed_yet(client, counting_mode):
    article = ArticleFactory(slug="not-flushed")
    beacon(client, article.get_absolute_url())
    beacon(client, article.get_absolute_url(), ip="203.0.113.9")
    _settle(counting_mode)
    beacon(client, article.get_absolute_url(), ip="203.0.113.10")  # still in Redis under the redis mode
    assert report_rows(days=7) == [{"slug": "not-flushed", "views": 3, "visitors": 3, "signups": 0, "digest_clicks": 0}]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_GPC": "1"},
        {"HTTP_DNT": "1"},
        {"user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"user_agent": ""},
    ],
)
def test_opted_out_readers_and_bots_count_nothing(client, counting_mode, headers):
    article = ArticleFactory()
    response = beacon(client, article.get_absolute_url(), **headers)
    assert response.status_code == 204
    _settle(counting_mode)
    assert not ArticleDay.objects.exists() and not SiteDay.objects.exists() and not VisitorDay.objects.exists()
    assert report_rows(days=1) == []


def test_signed_in_staff_count_nothing(admin_client, counting_mode):
    article = ArticleFactory()
    assert beacon(admin_client, article.get_absolute_url()).status_code == 204
    _settle(counting_mode)
    assert not ArticleDay.objects.exists()


@pytest.mark.parametrize("path", ["/", "/preview/abc/", "/articles/no-such-article/", "/topics/x/", "/newsletter/"])
def test_only_published_articles_are_counted(client, counting_mode, path):
    ArticleFactory(slug="a-draft", status=Article.Status.DRAFT, published_at=None)
    assert beacon(client, path).status_code == 204
    assert beacon(client, "/articles/a-draft/").status_code == 204
    _settle(counting_mode)
    assert not ArticleDay.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
    ],
)
def test_cross_site_posts_are_refused(client, headers):
    article = ArticleFactory()
    response = client.post(
        "/insights/beacon/", {"u": article.get_absolute_url()}, HTTP_USER_AGENT="Mozilla/5.0", **headers
    )
    assert response.status_code == 403
    assert not ArticleDay.objects.exists()


def test_a_same_origin_post_with_origin_is_accepted(client, without_redis):
    article = ArticleFactory()
    response = beacon(client, article.get_absolute_url(), HTTP_ORIGIN="http://testserver")
    assert response.status_code == 204
    assert ArticleDay.objects.get().views == 1


@pytest.mark.parametrize("page", ["", "articles/x/", "//evil.example/articles/x/", "/" + "a" * 2100])
def test_bad_beacons_get_a_400_with_a_message(client, page):
    response = client.post("/insights/beacon/", {"u": page}, HTTP_USER_AGENT="Mozilla/5.0")
    assert response.status_code == 400
    assert b"page" in response.content


def test_an_oversized_beacon_is_refused(client):
    response = client.post("/insights/beacon/", {"u": "/", "r": "x" * 5000}, HTTP_USER_AGENT="Mozilla/5.0")
    assert response.status_code == 400


def test_get_is_not_allowed(client):
    assert client.get("/insights/beacon/").status_code == 405


def test_no_analytics_response_sets_a_cookie(client, counting_mode):
    article = ArticleFactory()
    responses = [
        beacon(client, article.get_absolute_url()),
        beacon(client, article.get_absolute_url(), HTTP_SEC_GPC="1"),
        client.post("/insights/beacon/", {"u": ""}),
        client.post("/insights/beacon/", {"u": "/"}, HTTP_SEC_FETCH_SITE="cross-site"),
    ]
    for response in responses:
        assert not response.cookies, (response.status_code, response.cookies)
        assert "Set-Cookie" not in response.headers
    assert not client.cookies


def test_reader_pages_set_no_cookie_of_ours(client, settings):
    # Until reader pages drop CSRF (they are moving to cacheable, token-free forms), Django's
    # CSRF cookie is the one cookie a reader page may carry: no analytics cookie, ever.
    article = ArticleFactory()
    for path in ["/", article.get_absolute_url(), "/newsletter/", "/search/?q=x", "/feed/"]:
        response = client.get(path)
        assert response.status_code == 200
        assert set(response.cookies) <= {settings.CSRF_COOKIE_NAME}, (path, response.cookies)


def test_every_page_loads_the_beacon_script(client):
    article = ArticleFactory()
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<script src="/static/js/insights.js" data-endpoint="/insights/beacon/" defer></script>' in html


def test_a_redis_outage_costs_the_count_not_the_answer(client, settings):
    # A port nothing listens on: every Redis call fails at once.
    from tests.integration import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    article = ArticleFactory()
    assert beacon(client, article.get_absolute_url()).status_code == 204
    assert not ArticleDay.objects.exists()


@pytest.mark.django_db(transaction=True)  # foreign keys are checked at commit
def test_a_beacon_for_an_article_deleted_meanwhile_counts_nothing(client, without_redis):
    article = ArticleFactory()
    assert beacon(client, article.get_absolute_url()).status_code == 204
    Article.objects.filter(pk=article.pk).delete()  # this process still has the slug in memory
    assert beacon(client, article.get_absolute_url()).status_code == 204
    assert not ArticleDay.objects.exists()

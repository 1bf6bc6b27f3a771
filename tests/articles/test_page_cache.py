"""The page cache: anonymous readers get stored pages, never stale, never a draft,
always with a working signup form. Runs on local memory and, when REDIS_URL is
set, on Redis as in production."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, RelatedArticle
from newsletter.models import Subscriber
from newsletter.views import NEUTRAL_ANSWER
from tests.html import section_headed, soup

from .factories import ArticleFactory, AuthorFactory, TopicFactory, relate

pytestmark = pytest.mark.django_db


@pytest.fixture(
    autouse=True,
    params=[
        pytest.param("locmem", id="locmem"),
        pytest.param("redis", id="redis", marks=pytest.mark.redis),
    ],
)
def cache_backend(request):
    if request.param == "locmem":
        caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        caches = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": "vivold-test-pages",
            }
        }
    with override_settings(CACHES=caches):
        cache.clear()
        yield request.param
        cache.clear()


@pytest.fixture
def saved(django_capture_on_commit_callbacks):
    """Run a save the way the admin does: commit callbacks included."""

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            fn()

    return run


@pytest.fixture
def article():
    topic = TopicFactory(name="Energy", slug="energy")
    article = ArticleFactory(title="Grid storage grows up", topics=[topic])
    relate(article, ArticleFactory(title="Batteries at sea", topics=[topic]))
    return article


def titles(response) -> list[str]:
    return [a.get_text(strip=True) for a in soup(response).select(".card-title a")]


def related_titles(response) -> list[str]:
    section = section_headed(soup(response), "Related Articles")
    return [h.get_text(strip=True) for h in section.find_all("h3")] if section else []


def test_a_repeated_anonymous_request_is_served_without_queries(client, article, django_assert_num_queries):
    for url in ("/", article.get_absolute_url(), "/topics/energy/", "/?page=1"):
        first = client.get(url)
        with django_assert_num_queries(0):
            second = Client().get(url)
        assert second.status_code == 200
        assert soup(second).h1.get_text() == soup(first).h1.get_text()


def test_anonymous_pages_carry_validators_and_cache_control(client, article):
    response = client.get(article.get_absolute_url())
    assert response["ETag"].startswith('W/"')
    assert response["Last-Modified"]
    # The first answer sets the visitor's CSRF cookie: only their browser may keep it.
    assert response.cookies[settings.CSRF_COOKIE_NAME]
    assert response["Cache-Control"].startswith("private")
    assert "Cookie" in response["Vary"]
    again = client.get(article.get_absolute_url())
    assert not again.cookies
    assert "public" in again["Cache-Control"] and "s-maxage" in again["Cache-Control"]
    assert "Cookie" in again["Vary"]


def test_repeated_conditional_request_gets_304(client, article):
    url = article.get_absolute_url()
    first = client.get(url)
    not_modified = client.get(url, headers={"if-none-match": first["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == first["ETag"]
    since = client.get(url, headers={"if-modified-since": first["Last-Modified"]})
    assert since.status_code == 304
    feed_like_home = client.get("/", headers={"if-none-match": client.get("/")["ETag"]})
    assert feed_like_home.status_code == 304


def test_conditional_request_after_a_change_gets_the_new_page(client, article, saved):
    url = article.get_absolute_url()
    etag = client.get(url)["ETag"]
    article.title = "Grid storage comes of age"

    saved(article.save)
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert soup(response).h1.get_text(strip=True) == "Grid storage comes of age"


def test_no_304_for_a_visitor_who_lost_the_csrf_cookie(client, article):
    """Their kept copy holds a token for a cookie they no longer have."""
    url = article.get_absolute_url()
    etag = client.get(url)["ETag"]
    response = Client().get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response.cookies[settings.CSRF_COOKIE_NAME]


@pytest.mark.parametrize("cookie_first", [True, False], ids=["returning-visitor", "first-visit"])
def test_signup_form_on_a_cached_page_works_with_csrf_enforced(article, cookie_first):
    url = article.get_absolute_url()
    Client().get(url)  # someone else warms the cache
    reader = Client(enforce_csrf_checks=True)
    if cookie_first:
        reader.get("/newsletter/")
    response = reader.get(url)
    assert response.status_code == 200
    form = section_headed(soup(response), "Stay Updated").find("form")
    token = form.find("input", attrs={"name": "csrfmiddlewaretoken"})["value"]
    assert len(token) == 64 and token.isalnum()

    refused = Client(enforce_csrf_checks=True).post(form["action"], {"email": "x@example.com"})
    assert refused.status_code == 403  # the check is really on
    answer = reader.post(
        form["action"], {"csrfmiddlewaretoken": token, "email": "reader@example.com", "source": url}, follow=True
    )
    assert answer.status_code == 200
    assert NEUTRAL_ANSWER in answer.content.decode()
    assert Subscriber.objects.filter(email="reader@example.com").exists()


def test_each_visitor_gets_their_own_token(article):
    url = article.get_absolute_url()
    tokens = set()
    for _ in range(3):
        page = soup(Client().get(url))
        tokens.add(page.find("input", attrs={"name": "csrfmiddlewaretoken"})["value"])
    assert len(tokens) == 3


def test_editing_an_article_shows_at_once(client, article, saved):
    client.get("/"), client.get(article.get_absolute_url()), client.get("/topics/energy/")
    article.title = "Grid storage comes of age"
    saved(article.save)
    assert "Grid storage comes of age" in titles(client.get("/"))
    assert "Grid storage comes of age" in titles(client.get("/topics/energy/"))
    assert soup(client.get(article.get_absolute_url())).h1.get_text(strip=True) == "Grid storage comes of age"


def test_publishing_a_draft_shows_it_and_unpublishing_hides_it(client, article, saved):
    draft = ArticleFactory(title="Hydrogen's second act", status=Article.Status.DRAFT, published_at=None)
    draft.topics.add(article.topics.first())
    assert "Hydrogen's second act" not in titles(client.get("/"))
    assert "Hydrogen's second act" not in titles(client.get("/topics/energy/"))
    assert client.get(draft.get_absolute_url()).status_code == 404

    draft.status = Article.Status.PUBLISHED
    saved(draft.save)
    assert titles(client.get("/"))[0] == "Hydrogen's second act"
    assert "Hydrogen's second act" in titles(client.get("/topics/energy/"))
    assert client.get(draft.get_absolute_url()).status_code == 200

    draft.status = Article.Status.DRAFT
    saved(draft.save)
    assert "Hydrogen's second act" not in titles(client.get("/"))
    assert "Hydrogen's second act" not in titles(client.get("/topics/energy/"))
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_related_article_changing_its_title_shows_on_the_page_citing_it(client, article, saved):
    url = article.get_absolute_url()
    assert related_titles(client.get(url))[0] == "Batteries at sea"
    picked = Article.objects.get(title="Batteries at sea")
    picked.title = "Batteries offshore"
    saved(picked.save)
    assert related_titles(client.get(url))[0] == "Batteries offshore"


def test_editors_picks_topics_and_authors_invalidate(client, article, saved):
    url = article.get_absolute_url()
    client.get(url)
    other = ArticleFactory(title="Heat pumps in winter")
    saved(lambda: RelatedArticle.objects.create(article=article, related=other, position=1))
    assert related_titles(client.get(url))[:2] == ["Batteries at sea", "Heat pumps in winter"]

    topic = article.topics.get()
    topic.name = "Energy transition"
    saved(topic.save)
    assert soup(client.get(url)).find("a", href="/topics/energy/").get_text() == "Energy transition"

    author = article.author
    author.name = "Dana Okafor"
    saved(author.save)
    assert "Dana Okafor" in soup(client.get(url)).find(class_="byline").get_text()

    saved(lambda: article.topics.add(TopicFactory(name="Climate", slug="climate")))
    assert soup(client.get(url)).find("a", href="/topics/climate/")

    saved(lambda: RelatedArticle.objects.filter(related=other).delete())
    assert "Heat pumps in winter" not in related_titles(client.get(url))


def test_a_scheduled_article_appears_when_due_without_any_save(client, article):
    due = timezone.now() + timedelta(hours=2)
    scheduled = ArticleFactory(title="Nuclear's quiet comeback", published_at=due)
    scheduled.topics.add(article.topics.first())
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert "Nuclear's quiet comeback" not in titles(client.get("/"))
        assert "Nuclear's quiet comeback" not in titles(client.get("/topics/energy/"))
        assert client.get(scheduled.get_absolute_url()).status_code == 404
        assert "Nuclear's quiet comeback" not in titles(client.get("/"))  # served from cache
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert titles(client.get("/"))[0] == "Nuclear's quiet comeback"
        assert "Nuclear's quiet comeback" in titles(client.get("/topics/energy/"))
        assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_the_next_scheduled_article_after_one_becomes_due_also_appears(client):
    now = timezone.now()
    first = ArticleFactory(title="First scheduled", published_at=now + timedelta(hours=1))
    second = ArticleFactory(title="Second scheduled", published_at=now + timedelta(hours=1, minutes=3))
    # Minutes apart, well within the lifetime of a stored page.
    with time_machine.travel(now + timedelta(hours=1, minutes=1), tick=False):
        assert titles(client.get("/")) == [first.title]
    with time_machine.travel(now + timedelta(hours=1, minutes=2), tick=False):
        assert titles(client.get("/")) == [first.title]
    with time_machine.travel(now + timedelta(hours=1, minutes=4), tick=False):
        assert titles(client.get("/")) == [second.title, first.title]


def test_a_draft_never_reaches_a_cached_page(client, article, saved):
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_article"))
    staff = Client()
    staff.force_login(editor)
    draft = ArticleFactory(
        title="Unannounced merger", status=Article.Status.DRAFT, published_at=None, topics=list(article.topics.all())
    )
    saved(lambda: RelatedArticle.objects.create(article=article, related=draft))

    preview = staff.get(draft.get_absolute_url())
    assert preview.status_code == 200 and "Draft preview" in preview.content.decode()
    assert "no-store" in preview["Cache-Control"]
    for url in ("/", "/topics/energy/", article.get_absolute_url(), draft.get_absolute_url()):
        staff.get(url)
        response = client.get(url)
        assert "Unannounced merger" not in response.content.decode()
        assert "Draft preview" not in response.content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_logged_in_staff_are_never_served_from_nor_stored_in_the_cache(client, article, saved):
    url = article.get_absolute_url()
    staff = Client()
    staff.force_login(User.objects.create_user("editor", password="x", is_staff=True))
    for_staff = staff.get(url)
    assert "no-store" in for_staff["Cache-Control"] and "private" in for_staff["Cache-Control"]
    assert "ETag" not in for_staff

    client.get(url)  # an anonymous reader fills the cache
    article.title = "Changed without signals"
    Article.objects.filter(pk=article.pk).update(title=article.title)
    assert soup(client.get(url)).h1.get_text(strip=True) == "Grid storage grows up"  # the reader: cached
    assert soup(staff.get(url)).h1.get_text(strip=True) == "Changed without signals"  # staff: fresh


def test_unknown_query_parameters_are_not_cached(client, article, django_assert_max_num_queries):
    client.get("/?utm_source=x")
    with django_assert_max_num_queries(6) as queries:
        response = client.get("/?utm_source=x")
    assert response.status_code == 200 and len(queries) > 0
    assert "ETag" not in response


def test_cache_off_serves_fresh_pages(client, article, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    Article.objects.filter(pk=article.pk).update(title="Changed without signals")
    assert "Changed without signals" in titles(client.get("/"))


def test_listing_queries_stay_constant_with_many_authors_and_topics(client, django_assert_max_num_queries):
    topic = TopicFactory(slug="crowded")
    for _ in range(12):
        ArticleFactory(author=AuthorFactory(), topics=[topic, *(TopicFactory() for _ in range(3))])
    for url in ("/", "/topics/crowded/", reverse("articles:home") + "?page=2"):
        cache.clear()
        with django_assert_max_num_queries(6):
            assert client.get(url).status_code == 200


def test_the_middleware_serves_a_stored_page_without_reaching_sessions_or_views(client, article):
    from django.test import RequestFactory

    from articles.page_cache import PageCacheMiddleware

    url = article.get_absolute_url()
    client.get(url)

    def beyond(request):
        raise AssertionError("a stored page must be served before the rest of the stack")

    request = RequestFactory().get(url)
    response = PageCacheMiddleware(beyond)(request)
    assert response.status_code == 200
    assert not hasattr(request, "session") and not hasattr(request, "user")
    assert soup(response).h1.get_text(strip=True) == "Grid storage grows up"
    assert response.cookies[settings.CSRF_COOKIE_NAME]  # the CSRF middleware's work is still done


def test_a_page_from_the_fast_path_carries_the_same_headers_as_a_rendered_one(article):
    url = article.get_absolute_url()
    rendered, stored = Client().get(url), Client().get(url)
    assert "X-Frame-Options" in rendered
    assert sorted(rendered.headers) == sorted(stored.headers)
    for name in ("X-Frame-Options", "Content-Type", "Vary", "Cache-Control", "ETag", "Content-Length"):
        assert rendered[name] == stored[name], name
    assert sorted(rendered.cookies) == sorted(stored.cookies)


def test_a_reader_with_a_pending_message_gets_a_rendered_page(client, article):
    url = article.get_absolute_url()
    client.get(url)
    client.cookies["messages"] = "anything"
    response = client.get(url)
    assert response.status_code == 200 and "ETag" not in response


def test_pages_work_and_editors_can_save_while_redis_is_down(client, article, saved):
    unreachable = {"default": {"BACKEND": "vivold.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=unreachable):
        for url in ("/", article.get_absolute_url(), "/topics/energy/"):
            assert client.get(url).status_code == 200
        article.title = "Saved without a cache"
        saved(article.save)
        assert soup(client.get(article.get_absolute_url())).h1.get_text(strip=True) == "Saved without a cache"


@pytest.mark.parametrize("page", ["999", "abc", "01", ""])
def test_odd_page_numbers_are_answered_but_never_stored(client, page, django_assert_max_num_queries):
    ArticleFactory.create_batch(2)
    first = client.get(f"/?page={page}")
    assert first.status_code == 200 and "ETag" not in first
    assert "private" in first["Cache-Control"]
    with django_assert_max_num_queries(6) as queries:
        assert client.get(f"/?page={page}").status_code == 200
    assert len(queries) > 0
    assert "ETag" in client.get("/?page=1")


def test_signup_form_on_a_cached_page_works_with_the_csrf_token_in_the_session(article, settings):
    settings.CSRF_USE_SESSIONS = True
    url = article.get_absolute_url()
    Client().get(url)
    reader = Client(enforce_csrf_checks=True)
    response = reader.get(url)
    assert response.status_code == 200
    token = soup(response).find("input", attrs={"name": "csrfmiddlewaretoken"})["value"]
    answer = reader.post(reverse("newsletter:subscribe"), {"csrfmiddlewaretoken": token, "email": "s@example.com"})
    assert answer.status_code == 302

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.html import assert_page_landmarks, section_headed, soup

from .factories import ArticleFactory, TopicFactory, relate

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    topic = TopicFactory(name="AI Strategy", slug="ai-strategy")
    article = ArticleFactory(
        title="Free models as a platform play",
        dek="Giving the model away to own the layer beneath.",
        key_insights="Open weights commoditise the model layer.",
        topics=[topic],
    )
    relate(article, ArticleFactory(title="Export rules bite", key_insights="Access can be switched off."))
    return article


def test_article_page_has_every_landmark(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = soup(response)
    assert_page_landmarks(page)
    h1s = page.find_all("h1")
    assert [h.get_text(strip=True) for h in h1s] == ["Free models as a platform play"]
    assert "Giving the model away" in page.find(class_="dek").get_text()
    assert "By" in page.find(class_="byline").get_text()
    assert page.find(class_="byline").find("time")

    insights = section_headed(page, "Key Insights")
    assert insights is not None and "Open weights commoditise" in insights.get_text()

    body = page.find("article")
    assert body is not None and body.find("h2") and body.find("ul")

    signup = section_headed(page, "Stay Updated")
    form = signup.find("form")
    assert form["method"] == "post" and form["action"] == reverse("newsletter:subscribe")
    email = form.find("input", attrs={"name": "email"})
    assert form.find("label", attrs={"for": email["id"]}).get_text(strip=True) == "Email"
    assert form.find("button", string="Subscribe")

    related = section_headed(page, "Related Articles")
    link = related.find("a", string="Export rules bite")
    assert link is not None and link["href"].startswith("/articles/")
    assert "Access can be switched off." in related.get_text()

    assert page.find("a", href="/topics/ai-strategy/")
    assert page.find("meta", attrs={"name": "description"})["content"] == "Open weights commoditise the model layer."


def test_article_page_reads_in_the_order_of_our_published_pages(client, article):
    """Title, Key Insights, Stay Updated, the body, Related Articles: as the pages we publish."""
    page = soup(client.get(article.get_absolute_url()))
    main = page.find("main")
    landmarks = [
        main.find("h1"),
        section_headed(page, "Key Insights"),
        section_headed(page, "Stay Updated"),
        main.find("article", class_="article-body"),
        section_headed(page, "Related Articles"),
    ]
    order = [element for element in main.descendants if element in landmarks]
    assert [landmarks.index(element) for element in order] == [0, 1, 2, 3, 4]


def test_home_lists_latest_articles_with_dek_and_key_insights(client):
    old = ArticleFactory(title="Older piece", published_at=timezone.now() - timedelta(days=2))
    new = ArticleFactory(title="Newer piece", dek="A new dek", published_at=timezone.now() - timedelta(hours=1))
    ArticleFactory(title="Secret draft", status=Article.Status.DRAFT)
    response = client.get("/")
    page = soup(response)
    assert_page_landmarks(page)
    titles = [a.get_text(strip=True) for a in page.select(".card-title a")]
    assert titles == ["Newer piece", "Older piece"]
    assert "A new dek" in response.content.decode()
    assert new.key_insights in response.content.decode() and old.key_insights in response.content.decode()
    assert section_headed(page, "Stay Updated") is not None


def test_home_is_paginated(client):
    ArticleFactory.create_batch(12)
    first, second = soup(client.get("/")), soup(client.get("/?page=2"))
    assert len(first.select(".card")) == 10 and len(second.select(".card")) == 2
    assert first.find("a", rel="next")
    assert client.get("/?page=999").status_code == 200  # past the end shows the last page
    assert client.get("/?page=abc").status_code == 200


def test_topic_page_lists_its_published_articles(client):
    topic, other = TopicFactory(name="Markets"), TopicFactory()
    ArticleFactory(title="On topic", topics=[topic])
    ArticleFactory(title="Off topic", topics=[other])
    ArticleFactory(title="Draft on topic", topics=[topic], status=Article.Status.DRAFT)
    response = client.get(topic.get_absolute_url())
    page = soup(response)
    assert_page_landmarks(page)
    assert page.h1.get_text(strip=True) == "Markets"
    assert [a.get_text(strip=True) for a in page.select(".card-title a")] == ["On topic"]
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_newsletter_page_has_the_signup_form(client):
    page = soup(client.get("/newsletter/"))
    assert_page_landmarks(page)
    assert section_headed(page, "Stay Updated").find("button", string="Subscribe")


def test_friendly_404(client):
    response = client.get("/articles/not-here/")
    assert response.status_code == 404
    page = soup(response)
    assert_page_landmarks(page)
    assert page.find("a", href="/")


def test_friendly_500_page_renders_without_a_request_context(client):
    from core.views import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.parametrize("when", ["draft", "scheduled"])
def test_unpublished_articles_are_404_to_the_public(client, when):
    article = ArticleFactory(
        status=Article.Status.DRAFT if when == "draft" else Article.Status.PUBLISHED,
        published_at=timezone.now() + timedelta(days=1),
    )
    assert client.get(article.get_absolute_url()).status_code == 404


def test_a_logged_in_reader_without_permission_gets_404_for_a_draft(client):
    article = ArticleFactory(status=Article.Status.DRAFT)
    client.force_login(User.objects.create_user("reader", password="x"))
    assert client.get(article.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("when", ["draft", "scheduled"])
def test_editors_preview_unpublished_articles(client, when):
    article = ArticleFactory(
        title="Work in progress",
        status=Article.Status.DRAFT if when == "draft" else Article.Status.PUBLISHED,
        published_at=timezone.now() + timedelta(days=1),
    )
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(editor)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = soup(response)
    assert "Draft preview" in page.find(class_="preview-banner").get_text()
    assert page.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_published_pages_carry_no_preview_banner(client, article, admin_client):
    for c in (client, admin_client):
        page = soup(c.get(article.get_absolute_url()))
        assert page.find(class_="preview-banner") is None
        assert page.find("meta", attrs={"name": "robots"}) is None


def _grow(article, topics: int, related: int):
    new_topics = [TopicFactory() for _ in range(topics)]
    article.topics.add(*new_topics)
    relate(article, *[ArticleFactory(topics=new_topics) for _ in range(related)])
    ArticleFactory.create_batch(3, topics=new_topics)  # candidates to fill from


def _queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_article_page_query_count_is_constant(client, article):
    url = article.get_absolute_url()
    small, _ = _queries(client, url)
    assert small <= 6
    _grow(article, topics=6, related=1)  # two picks in all, so the page still fills from topics
    large, response = _queries(client, url)
    assert large == small
    assert len(section_headed(soup(response), "Related Articles").find_all("li")) == 3


@pytest.mark.parametrize("url", ["/", "/topics/grow/"])
def test_listing_query_count_is_constant(client, url):
    topic = TopicFactory(slug="grow")
    ArticleFactory.create_batch(2, topics=[topic])
    small, _ = _queries(client, url)
    assert small <= 6
    for article in ArticleFactory.create_batch(10, topics=[topic]):
        article.topics.add(*[TopicFactory() for _ in range(4)])
    large, response = _queries(client, url)
    assert large == small
    assert len(soup(response).select(".card")) == 10


def test_the_search_page_puts_the_cursor_in_the_box_until_there_are_results(client):
    ArticleFactory(title="Rates and their reach")
    empty = soup(client.get(reverse("articles:search"))).find("input", attrs={"name": "q"})
    assert empty.has_attr("autofocus")
    answered = soup(client.get(reverse("articles:search"), {"q": "rates"})).find("input", attrs={"name": "q"})
    assert not answered.has_attr("autofocus")  # the results are what a reader reads next

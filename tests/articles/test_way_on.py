"""Dead ends offer a way on: a search with no hits and the 404 page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from tests.html import assert_page_landmarks, soup

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_search_with_no_hits_says_so_with_the_query_and_a_way_on(client):
    ArticleFactory(slug="grid", title="Grid investment")
    ArticleFactory(slug="secret", title="Not out yet", published_at=timezone.now() + timedelta(days=1))
    response = client.get("/search/", {"q": "zeppelin <b>"})
    assert response.status_code == 200
    page = soup(response)
    status = page.find(role="status")
    assert status.get_text(strip=True) == "No articles match “zeppelin <b>”."
    way_on = page.find(class_="no-results")
    assert way_on.find("a", href="/")
    assert way_on.find("a", href="/articles/grid/") and not way_on.find("a", href="/articles/secret/")
    assert page.find("input", attrs={"name": "q"})["value"] == "zeppelin <b>"


def test_a_search_with_hits_does_not_say_no_articles_match(client):
    ArticleFactory(title="Grid investment outlook")
    page = soup(client.get("/search/", {"q": "grid"}))
    assert "No articles match" not in page.get_text()
    assert "1 article matches" in page.find(role="status").get_text()


def test_the_404_page_offers_search_and_the_latest_articles(client):
    ArticleFactory(slug="newest", title="Newest piece")
    ArticleFactory(slug="draft", title="Draft piece", status=Article.Status.DRAFT, published_at=None)
    response = client.get("/articles/not-here/")
    assert response.status_code == 404
    page = soup(response)
    assert_page_landmarks(page)
    search = page.find("form", role="search")
    assert search["action"] == "/search/" and search.find("input", attrs={"name": "q"})
    latest = page.find("section", attrs={"aria-labelledby": "not-found-latest"})
    assert latest.find("a", href="/articles/newest/") and not latest.find("a", href="/articles/draft/")

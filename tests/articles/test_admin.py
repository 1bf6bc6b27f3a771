from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.html import soup

from .factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_changelist_shows_status_dates_and_topics(admin_client):
    topic = TopicFactory(name="Markets")
    ArticleFactory(title="Live piece", topics=[topic])
    ArticleFactory(title="Future piece", published_at=timezone.now() + timedelta(days=3))
    ArticleFactory(title="Draft piece", status=Article.Status.DRAFT)
    response = admin_client.get(reverse("admin:articles_article_changelist"))
    assert response.status_code == 200
    rows = {
        row.find("th").get_text(strip=True): row.get_text(" ", strip=True)
        for row in soup(response).select("#result_list tbody tr")
    }
    assert "Published" in rows["Live piece"] and "Markets" in rows["Live piece"]
    assert "Scheduled" in rows["Future piece"]
    assert "Draft" in rows["Draft piece"]


def test_changelist_filters_and_searches(admin_client):
    ArticleFactory(title="Sovereign clouds in Europe", body="<p>procurement rules</p>")
    ArticleFactory(title="Smart glasses at work", status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_changelist")
    titles = lambda r: [th.get_text(strip=True) for th in soup(r).select("#result_list tbody th")]  # noqa: E731
    assert titles(admin_client.get(url, {"status__exact": "draft"})) == ["Smart glasses at work"]
    assert titles(admin_client.get(url, {"q": "procurement"})) == ["Sovereign clouds in Europe"]
    assert admin_client.get(url, {"q": "'; DROP TABLE articles_article; --"}).status_code == 200
    assert soup(admin_client.get(url)).find(id="changelist-filter")
    assert soup(admin_client.get(url)).find("nav", class_="toplinks")  # date hierarchy


def test_add_form_has_the_rich_text_editor_and_prefilled_slug(admin_client):
    response = admin_client.get(reverse("admin:articles_article_add"))
    page = soup(response)
    assert page.find("textarea", attrs={"name": "body", "data-django-prose-editor-configurable": True})
    assert page.find("script", src=lambda s: s and "django_prose_editor" in s)
    assert "#id_slug" in page.find(id="django-admin-prepopulated-fields-constants")["data-prepopulated-fields"]
    assert page.find("select", attrs={"name": "related_links-0-related"}) or page.find(id="related_links-group")


def test_editor_saves_an_article_with_ordered_related_picks_and_hostile_html(admin_client):
    topic, author = TopicFactory(), AuthorFactory()
    first, second = ArticleFactory(), ArticleFactory()
    data = {
        "title": "Admin written piece",
        "slug": "admin-written-piece",
        "dek": "A dek",
        "key_insights": "Insights",
        "body": '<h2>Head</h2><ul><li>a</li></ul><script>alert(1)</script><a href="javascript:x()">j</a>',
        "status": "published",
        "published_at_0": "2024-05-01",
        "published_at_1": "10:00:00",
        "author": author.pk,
        "topics": [topic.pk],
        "hero_image_alt": "",
        "related_links-TOTAL_FORMS": "2",
        "related_links-INITIAL_FORMS": "0",
        "related_links-0-related": second.pk,
        "related_links-0-position": "0",
        "related_links-1-related": first.pk,
        "related_links-1-position": "1",
    }
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302, soup(response).select(".errorlist")
    article = Article.objects.get(slug="admin-written-piece")
    assert "<script" not in article.body and "javascript:" not in article.body
    assert "<h2>Head</h2>" in article.body
    assert article.related_for_page()[:2] == [second, first]


def test_view_on_site_link(admin_client):
    article = ArticleFactory()
    page = soup(admin_client.get(reverse("admin:articles_article_change", args=[article.pk])))
    assert page.find("a", class_="viewsitelink")


@pytest.mark.parametrize("model", ["topic", "author"])
def test_topics_and_authors_are_managed_in_the_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:articles_{model}_add")).status_code == 200
    assert admin_client.get(reverse(f"admin:articles_{model}_changelist")).status_code == 200


def test_related_picker_autocompletes_articles(admin_client):
    ArticleFactory(title="Findable piece")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "Findable", "app_label": "articles", "model_name": "relatedarticle", "field_name": "related"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Findable piece"]

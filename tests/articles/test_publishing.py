"""Publishing that says what it does: save as draft, publish now, schedule; the list's status column."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.html import soup

from .factories import ArticleFactory, TopicFactory
from .test_revisions import _form_data

pytestmark = pytest.mark.django_db


def _post(admin_client, article, button: str, **changes):
    url = reverse("admin:articles_article_change", args=[article.pk])
    data = _form_data(article, **changes)
    data["topics"] = data["topics"] or [TopicFactory().pk]
    del data["_save"]
    data[button] = "1"
    return admin_client.post(url, data)


def test_publish_now_publishes_a_draft_at_once(admin_client):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    before = timezone.now()
    assert _post(admin_client, article, "_publish_now").status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED and before <= article.published_at <= timezone.now()
    assert Article.objects.published().filter(pk=article.pk).exists()


def test_publish_now_brings_a_scheduled_piece_forward_and_keeps_a_live_ones_date(admin_client):
    scheduled = ArticleFactory(published_at=timezone.now() + timedelta(days=2))
    _post(admin_client, scheduled, "_publish_now")
    scheduled.refresh_from_db()
    assert scheduled.is_live
    live = ArticleFactory(published_at=timezone.now() - timedelta(days=30))
    date = live.published_at.replace(microsecond=0)  # as the form gives it back
    _post(admin_client, live, "_publish_now")
    live.refresh_from_db()
    assert live.published_at == date


def test_save_as_draft_takes_an_article_off_the_site(admin_client):
    article = ArticleFactory()
    assert _post(admin_client, article, "_save_as_draft", title="Back in the drawer").status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT and article.title == "Back in the drawer"
    assert not Article.objects.published().filter(pk=article.pk).exists()


def test_schedule_needs_a_future_date(admin_client):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    response = _post(admin_client, article, "_schedule")
    assert response.status_code == 200
    assert "give a publication date in the future" in response.content.decode()
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT

    when = timezone.localtime() + timedelta(days=3)
    response = _post(
        admin_client,
        article,
        "_schedule",
        published_at_0=when.strftime("%Y-%m-%d"),
        published_at_1=when.strftime("%H:%M:00"),
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED and article.published_at > timezone.now()
    assert article.publication_state == "Scheduled"
    assert Article.objects.scheduled().filter(pk=article.pk).exists()


def test_change_form_offers_the_three_actions_and_links_revisions_and_previews(admin_client):
    article = ArticleFactory()
    page = soup(admin_client.get(reverse("admin:articles_article_change", args=[article.pk])))
    for name in ("_save_as_draft", "_publish_now", "_schedule"):
        assert page.find("button", attrs={"name": name})
    assert page.find("a", href=reverse("admin:articles_article_revisions", args=[article.pk]))
    assert page.find("a", href=reverse("admin:articles_article_preview_links", args=[article.pk]))
    assert page.find("script", src=lambda s: s and s.endswith("js/admin/article_autosave.js"))
    assert page.find(id="autosave-offer")


def test_list_shows_draft_scheduled_with_its_time_and_published(admin_client):
    ArticleFactory(title="Live piece")
    due = timezone.now() + timedelta(days=2)
    ArticleFactory(title="Future piece", published_at=due)
    ArticleFactory(title="Draft piece", status=Article.Status.DRAFT, published_at=None)
    page = soup(admin_client.get(reverse("admin:articles_article_changelist")))
    status = {
        row.find("th").get_text(strip=True): row.select_one("td.field-status_label").get_text(strip=True)
        for row in page.select("#result_list tbody tr")
    }
    assert status["Live piece"] == "Published"
    assert status["Draft piece"] == "Draft"
    assert status["Future piece"] == f"Scheduled · {timezone.localtime(due):%-d %b %Y, %H:%M}"


def test_list_actions_publish_and_move_to_draft(admin_client):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    live = ArticleFactory()
    url = reverse("admin:articles_article_changelist")
    admin_client.post(url, {"action": "publish_now", "_selected_action": [draft.pk]})
    admin_client.post(url, {"action": "move_to_draft", "_selected_action": [live.pk]})
    draft.refresh_from_db()
    live.refresh_from_db()
    assert draft.is_live and live.status == Article.Status.DRAFT
    assert draft.history.count() == 2 and live.history.count() == 2


def test_bad_object_ids_are_404_not_500(admin_client):
    for name in ("admin:articles_article_revisions", "admin:articles_article_preview_links"):
        assert admin_client.get(reverse(name, args=["abc"])).status_code == 404

"""Preview links: a draft or scheduled article without a login, until expired or revoked."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, PreviewLink
from articles.previews import preview_token
from articles.services import preview_link_create
from tests.html import soup

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return ArticleFactory(
        title="Unpublished analysis", status=Article.Status.DRAFT, published_at=None, body="<p>Secret draft words.</p>"
    )


def _never_stored(response) -> None:
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control and "public" not in cache_control
    assert "s-maxage" not in cache_control
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_link_shows_the_draft_without_login_with_a_banner_and_never_cached(client, draft):
    link = preview_link_create(article=draft)
    assert link.expires_at - link.created_at == timedelta(days=14)
    response = client.get(link.get_absolute_url())
    assert response.status_code == 200
    _never_stored(response)
    page = soup(response)
    assert page.find("h1").get_text() == "Unpublished analysis"
    assert "Secret draft words." in page.find("article").get_text()
    banner = page.find(class_="preview-banner")
    assert banner.get_text().startswith("Preview")
    assert page.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")
    assert "sessionid" not in response.cookies
    # The public address of the draft still answers 404.
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_scheduled_article_shows_with_its_time(client):
    scheduled = ArticleFactory(title="Due on Friday", published_at=timezone.now() + timedelta(days=3))
    response = client.get(preview_link_create(article=scheduled).get_absolute_url())
    assert response.status_code == 200
    assert "scheduled for" in soup(response).find(class_="preview-banner").get_text()


def _refused(response, status: int) -> None:
    assert response.status_code == status
    assert b"Secret draft words" not in response.content
    _never_stored(response)


def test_expired_links_answer_410(client, draft):
    url = preview_link_create(article=draft, days=2).get_absolute_url()
    with time_machine.travel(timezone.now() + timedelta(days=2, seconds=1)):
        _refused(client.get(url), 410)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert client.get(url).status_code == 200


def test_a_link_whose_expiry_changed_in_the_database_is_not_honoured(client, draft):
    link = preview_link_create(article=draft, days=2)
    url = link.get_absolute_url()
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(client.get(url), 410)


def test_tampered_and_made_up_links_answer_404(client, draft):
    link = preview_link_create(article=draft)
    token = preview_token(link)
    other = preview_link_create(article=ArticleFactory(status=Article.Status.DRAFT, published_at=None))
    payload, signature = token.split(":")
    other_payload = preview_token(other).split(":")[0]
    for bad in (f"{other_payload}:{signature}", f"{payload}:{signature[:-2]}xx", "nonsense", "a" * 300, f"{payload}:"):
        _refused(client.get(reverse("articles:preview", kwargs={"token": bad})), 404)
    # A newsletter token is signed with another salt: not a preview link.
    from newsletter.tokens import Purpose, make_token
    from tests.newsletter.factories import SubscriberFactory

    newsletter_token = make_token(SubscriberFactory(), Purpose.CONFIRM)
    _refused(client.get(reverse("articles:preview", kwargs={"token": newsletter_token})), 404)


def test_revoked_links_answer_410(client, draft):
    link = preview_link_create(article=draft)
    url = link.get_absolute_url()
    assert client.get(url).status_code == 200
    out = StringIO()
    call_command("preview_link", draft.slug, "--revoke", stdout=out)
    assert "Revoked 1 preview link" in out.getvalue()
    _refused(client.get(url), 410)


def test_deleting_the_article_ends_its_links(client, draft):
    url = preview_link_create(article=draft).get_absolute_url()
    draft.delete()
    _refused(client.get(url), 410)


def test_a_link_to_an_article_since_published_leads_to_its_page(client, draft):
    url = preview_link_create(article=draft).get_absolute_url()
    draft.status = Article.Status.PUBLISHED
    draft.save()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    _never_stored(response)


def test_command_prints_a_working_link_and_checks_its_input(client, draft, settings):
    out, err = StringIO(), StringIO()
    call_command("preview_link", draft.slug, "--days", "3", stdout=out, stderr=err)
    url = out.getvalue().strip()
    assert url.startswith(f"{settings.SITE_URL}/preview/")
    link = PreviewLink.objects.get(article=draft)
    assert link.expires_at - link.created_at == timedelta(days=3)
    assert client.get(url.removeprefix(settings.SITE_URL)).status_code == 200
    with pytest.raises(CommandError, match="No article"):
        call_command("preview_link", "no-such-article")
    with pytest.raises(CommandError, match="--days"):
        call_command("preview_link", draft.slug, "--days", "0")


def test_admin_makes_lists_and_revokes_links(admin_client, client, draft):
    url = reverse("admin:articles_article_preview_links", args=[draft.pk])
    assert admin_client.post(url, {"days": "5"}).status_code == 302
    assert admin_client.post(url, {"days": "500"}).status_code == 302  # refused with a message
    link = PreviewLink.objects.get(article=draft)
    assert link.expires_at - link.created_at == timedelta(days=5)
    page = soup(admin_client.get(url))
    shown = page.select_one("input.preview-url")["value"]
    assert shown.endswith(link.get_absolute_url())
    assert client.get(link.get_absolute_url()).status_code == 200
    assert admin_client.post(url, {"revoke": str(link.pk)}).status_code == 302
    assert client.get(link.get_absolute_url()).status_code == 410
    assert "Revoked" in soup(admin_client.get(url)).select_one(".preview-links tbody").get_text()
    assert admin_client.post(url, {"revoke": "not-a-number"}).status_code == 404


def test_preview_links_page_needs_staff(client, draft):
    response = client.get(reverse("admin:articles_article_preview_links", args=[draft.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

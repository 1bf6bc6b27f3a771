"""Digest links go through a signed redirect that counts one click per edition and article."""

import pytest
from django.utils import timezone

from digests.models import Digest
from digests.rendering import digest_render
from insights.flushing import counters_flush
from insights.links import digest_article_url
from insights.models import DigestClickDay
from insights.reports import report_rows
from tests.articles.factories import ArticleFactory

from .conftest import DESKTOP_UA

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    article = ArticleFactory(slug="ports", title="Ports and the price of delay")
    now = timezone.now()
    digest = Digest.objects.create(
        cadence="weekly", period_start=now, period_end=now, subject="This week", status=Digest.Status.SENT
    )
    digest.articles.add(article)
    return digest, article


def test_every_article_link_in_a_digest_goes_through_the_redirect(edition):
    digest, article = edition
    rendered = digest_render(digest=digest, articles=[article])
    link = digest_article_url(digest_id=digest.pk, slug=article.slug)
    assert rendered.html.count(f'href="{link}"') == 2
    assert link in rendered.text
    assert f'href="http://127.0.0.1:8000{article.get_absolute_url()}"' not in rendered.html
    assert link.startswith(f"http://127.0.0.1:8000/insights/digest/{digest.pk}/articles/ports/?s=")
    assert "@" not in link  # names no subscriber


def test_a_click_redirects_to_the_article_and_counts_once(client, edition, counting_mode):
    digest, article = edition
    link = digest_article_url(digest_id=digest.pk, slug=article.slug).removeprefix("http://127.0.0.1:8000")
    response = client.get(link, HTTP_USER_AGENT=DESKTOP_UA)
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}?utm_source=digest&utm_medium=email"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert not response.cookies
    assert client.head(link, HTTP_USER_AGENT=DESKTOP_UA).status_code == 302  # a HEAD counts nothing
    client.get(link, HTTP_USER_AGENT="Mozilla/5.0 (compatible; bingbot/2.0)")  # nor a link scanner
    client.get(link, HTTP_USER_AGENT=DESKTOP_UA, HTTP_SEC_GPC="1")  # nor an opted-out reader
    assert report_rows(days=1)[0]["digest_clicks"] == 1
    if counting_mode == "redis":
        counters_flush()
    assert list(DigestClickDay.objects.values_list("digest_id", "article_id", "clicks")) == [(digest.pk, article.pk, 1)]
    assert report_rows(days=1)[0]["digest_clicks"] == 1


@pytest.mark.parametrize("query", ["?s=forged", "", "?s="])
def test_a_forged_or_broken_link_gets_a_400_page(client, edition, query):
    digest, article = edition
    response = client.get(f"/insights/digest/{digest.pk}/articles/{article.slug}/{query}")
    assert response.status_code == 400
    assert "This link doesn" in response.content.decode()
    assert not DigestClickDay.objects.exists()


def test_a_link_to_an_article_taken_down_says_so(client, edition):
    digest, article = edition
    link = digest_article_url(digest_id=digest.pk, slug=article.slug)
    article.status = article.Status.DRAFT
    article.save()
    response = client.get(link.removeprefix("http://127.0.0.1:8000"), HTTP_USER_AGENT=DESKTOP_UA)
    assert response.status_code == 404
    assert "no longer here" in response.content.decode()


def test_a_link_cannot_be_turned_into_another_article_or_edition(client, edition):
    digest, article = edition
    other = ArticleFactory(slug="other")
    signature = digest_article_url(digest_id=digest.pk, slug=article.slug).split("?s=")[1]
    assert client.get(f"/insights/digest/{digest.pk}/articles/other/?s={signature}").status_code == 400
    assert client.get(f"/insights/digest/{digest.pk + 1}/articles/ports/?s={signature}").status_code == 400
    assert other.pk and not DigestClickDay.objects.exists()


def test_a_redis_outage_still_takes_the_reader_to_the_article(client, edition, settings):
    from tests.integration import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    digest, article = edition
    link = digest_article_url(digest_id=digest.pk, slug=article.slug).removeprefix("http://127.0.0.1:8000")
    response = client.get(link, HTTP_USER_AGENT=DESKTOP_UA)
    assert response.status_code == 302 and response["Location"].startswith(article.get_absolute_url())

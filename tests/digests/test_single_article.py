"""Send one article: an edition of its own kind, through the same ledger, once per subscriber."""

import html
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from digests.building import NothingToSend, article_edition_create, digest_build, digest_slot, edition_recipients
from digests.models import Delivery, Digest
from digests.services import digest_send
from tests.articles.factories import ArticleFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers(topics):
    markets, policy = topics
    return {
        "daily-markets": SubscriberFactory(email="daily-markets@example.com", cadence="daily", topics=[markets]),
        "weekly-markets": SubscriberFactory(email="weekly-markets@example.com", cadence="weekly", topics=[markets]),
        "weekly-all": SubscriberFactory(email="weekly-all@example.com", cadence="weekly"),
        "policy": SubscriberFactory(email="policy@example.com", cadence="daily", topics=[policy]),
        "gone": SubscriberFactory(email="gone@example.com", status="unsubscribed", topics=[markets]),
    }


def test_one_edition_per_article_to_every_cadence_whose_topics_include_it(
    topics, readers, mailoutbox, django_capture_on_commit_callbacks
):
    markets, _ = topics
    article = ArticleFactory(slug="grid-outlook", title="Grid outlook", topics=[markets])
    edition, created = article_edition_create(article=article, intro="Worth your time today.")
    assert created and edition.kind == Digest.Kind.ARTICLE and edition.status == Digest.Status.DRAFT
    assert list(edition.articles.all()) == [article] and edition.subject == "Grid outlook"
    assert set(edition_recipients(edition).values_list("email", flat=True)) == {
        "daily-markets@example.com",
        "weekly-markets@example.com",
        "weekly-all@example.com",
    }
    with django_capture_on_commit_callbacks(execute=True):
        digest_send(digest=edition)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "daily-markets@example.com",
        "weekly-all@example.com",
        "weekly-markets@example.com",
    ]
    mail = mailoutbox[0]
    assert mail.subject == "Grid outlook" and "Worth your time today." in mail.body
    assert "/articles/grid-outlook/" in mail.body and mail.extra_headers["List-Unsubscribe-Post"]
    html = mail.alternatives[0][0]
    assert "Key Insights" in html and article.key_insights in html
    edition.refresh_from_db()
    assert edition.status == Digest.Status.SENT and edition.sent_count == 3

    # Asking again gives the same edition, and sending it again sends nothing.
    again, created = article_edition_create(article=article)
    assert again.pk == edition.pk and not created
    with django_capture_on_commit_callbacks(execute=True):
        digest_send(digest=again)
    assert len(mailoutbox) == 3 and Delivery.objects.count() == 3
    with pytest.raises(IntegrityError):
        Digest.objects.create(
            kind="article", article=article, period_start=timezone.now(), period_end=timezone.now(), subject="x"
        )


def test_it_does_not_disturb_the_digests(topics, readers):
    markets, _ = topics
    article = ArticleFactory(topics=[markets], published_at=digest_slot(cadence="daily") - timedelta(hours=1))
    alone, _ = article_edition_create(article=article)
    daily = digest_build(cadence="daily")
    assert daily.kind == Digest.Kind.DIGEST and daily.pk != alone.pk and article in daily.articles.all()


@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_an_unpublished_article_cannot_be_sent_alone(state):
    if state == "draft":
        article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    else:
        article = ArticleFactory(published_at=timezone.now() + timedelta(hours=3))
    with pytest.raises(NothingToSend, match="can't be sent"):
        article_edition_create(article=article)
    assert not Digest.objects.exists()


def test_unpublished_after_it_was_prepared_nothing_goes(topics, readers, mailoutbox):
    article = ArticleFactory(topics=[topics[0]])
    edition, _ = article_edition_create(article=article)
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() + timedelta(days=1))
    with pytest.raises(NothingToSend):
        digest_send(digest=edition)
    assert mailoutbox == []


def test_the_archive_shows_it_once_it_went_out(client, topics, readers, django_capture_on_commit_callbacks):
    article = ArticleFactory(slug="alone", title="Alone in the archive", topics=[topics[0]])
    edition, _ = article_edition_create(article=article)
    assert edition.get_absolute_url() not in client.get(reverse("digests:list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        digest_send(digest=edition)
    listing = client.get(reverse("digests:list")).content.decode()
    assert edition.get_absolute_url() in listing and "Single article" in listing
    page = client.get(edition.get_absolute_url()).content.decode()
    assert "/articles/alone/" in page and "Single article" in page


# The admin


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-password-1")
    client.force_login(user)
    return user


def test_admin_send_one_article(client, editor, topics, readers):
    url = reverse("admin:digests_digest_send_article")
    listing = client.get(reverse("admin:digests_digest_changelist")).content.decode()
    assert url in listing
    page = client.get(url)
    assert page.status_code == 200 and reverse("admin:digests_digest_article_search") in page.content.decode()

    draft = ArticleFactory(title="Not yet", status=Article.Status.DRAFT, published_at=None)
    refused = client.post(url, {"article": draft.pk})
    assert refused.status_code == 400 and "can't be sent" in html.unescape(refused.content.decode())
    assert client.post(url, {"article": "nonsense"}).status_code == 400
    assert not Digest.objects.exists()

    article = ArticleFactory(title="Grid outlook", topics=[topics[0]])
    response = client.post(url, {"article": article.pk, "intro": "A note."})
    edition = Digest.objects.get()
    assert response.url == reverse("admin:digests_digest_change", args=[edition.pk])
    change = client.get(response.url).content.decode()
    assert "Single article" in change and "Grid outlook" in change
    assert reverse("admin:digests_digest_send_now", args=[edition.pk]) in change
    question = client.get(reverse("admin:digests_digest_send_now", args=[edition.pk]))
    assert question.context["recipients"] == 3
    # The same article again: back to its one edition.
    again = client.post(url, {"article": article.pk})
    assert again.url == response.url and Digest.objects.count() == 1

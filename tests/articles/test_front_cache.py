"""Reader pages as a front cache sees them (headers, tags, no cookie), and the purges
a change sends, received by a local HTTP server standing where Varnish would be."""

from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.test import Client
from django.utils import timezone

from articles.models import Article, RelatedArticle
from articles.purge import scheduled_articles_purge
from articles.purgers import PurgeError, VarnishPurger
from articles.tasks import front_cache_purge_task
from tests.html import soup
from tests.integration import broker_at, free_port
from vivold.celery import app

from .factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    topic = TopicFactory(name="Markets", slug="markets")
    article = ArticleFactory(title="Rates and their reach", topics=[topic])
    other = ArticleFactory(title="Chips at the border", topics=[topic])
    RelatedArticle.objects.create(article=article, related=other, position=0)
    return {"topic": topic, "article": article, "other": other}


def reader_urls(site) -> list[str]:
    return [
        "/",
        "/?page=1",
        site["article"].get_absolute_url(),
        site["topic"].get_absolute_url(),
        "/topics/markets/feed/",
        "/search/?q=rates",
        "/search/",
        "/feed/",
        "/feed/rss/",
        "/sitemap.xml",
        "/robots.txt",
        "/newsletter/",
        "/newsletter/subscribed/",
        "/newsletter/digests/",
    ]


def cache_control(response) -> dict[str, str]:
    parts = [part.strip() for part in response["Cache-Control"].split(",")]
    return dict(part.split("=", 1) if "=" in part else (part, "") for part in parts)


def test_anonymous_reader_pages_are_public_tagged_and_set_no_cookie(site, settings):
    client = Client(enforce_csrf_checks=True)
    for url in reader_urls(site):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, url
        assert "Cookie" not in response.get("Vary", ""), url
        control = cache_control(response)
        assert "public" in control, url
        assert int(control["s-maxage"]) >= 300 and int(control["max-age"]) <= 60, url
        assert "stale-while-revalidate" in control and "stale-if-error" in control, url
        assert response["xkey"] and response["Surrogate-Key"] == response["xkey"], url
        assert response["Cache-Tag"] == response["xkey"].replace(" ", ","), url
        assert b"csrfmiddlewaretoken" not in response.content, url
        assert response["ETag"], url
        again = client.get(url, headers={"If-None-Match": response["ETag"]})
        assert again.status_code == 304, url
    assert client.cookies == {} or not client.cookies.keys()


def test_the_article_page_names_what_it_shows(site, client):
    article, other, topic = site["article"], site["other"], site["topic"]
    tags = client.get(article.get_absolute_url())["xkey"].split()
    assert {f"article-{article.pk}", f"article-{other.pk}", f"topic-{topic.pk}", f"author-{article.author_id}"} <= set(
        tags
    )
    # One pick of three: the box fills up from the topic, so it changes with the topic's articles.
    assert f"topic-{topic.pk}-list" in tags
    home = client.get("/")["xkey"].split()
    assert {"home", f"article-{article.pk}", f"article-{other.pk}", f"topic-{topic.pk}"} <= set(home)


def test_logged_in_editors_pages_are_private_and_untagged(site, client):
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(editor)
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    for url in ["/", site["article"].get_absolute_url(), draft.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 200
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert not response.has_header("xkey")


def test_what_is_not_a_plain_reader_answer_is_not_made_public(site, client):
    assert "public" not in client.get("/articles/no-such-piece/").get("Cache-Control", "")
    assert "public" not in client.get("/?page=999").get("Cache-Control", "")  # past the end
    assert "public" not in client.get("/search/?q=" + "x" * 600).get("Cache-Control", "")  # a 400
    assert "public" not in client.get("/admin/login/").get("Cache-Control", "")


# Purges ---------------------------------------------------------------------


@pytest.fixture
def purges(settings, recording_server):
    """Every PURGE the site sends, as the sets of tags each carried."""
    settings.FRONT_CACHE_PURGER = "varnish"
    settings.FRONT_CACHE_URL = recording_server.url

    def sent() -> list[set[str]]:
        return [set(r.headers["xkey-softpurge"].split()) for r in recording_server.requests if r.method == "PURGE"]

    return sent


def test_publishing_purges_the_article_and_the_listings_once(purges, django_capture_on_commit_callbacks):
    topic = TopicFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, topics=[topic])
    second = TopicFactory(slug="second")
    assert len(purges()) == 0  # a draft is nobody's page yet
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            draft.status = Article.Status.PUBLISHED
            draft.save()
            draft.topics.add(second)
    sent = purges()
    assert len(sent) == 1  # one save, one purge
    assert {f"article-{draft.pk}", "home", "feed", "sitemap", "search", f"topic-{topic.pk}-list"} <= sent[0]


def test_an_edit_purges_the_article_but_not_the_listings(site, purges, django_capture_on_commit_callbacks):
    article = site["article"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article.title = "Rates, and how far they reach"
        article.save()
    [sent] = purges()
    assert f"article-{article.pk}" in sent and "feed" in sent
    assert "home" not in sent  # the home page carries the tags of the cards it shows
    assert f"article-{site['other'].pk}" not in sent


def test_unpublishing_and_deleting_purge_the_listings(site, purges, django_capture_on_commit_callbacks):
    article, topic = site["article"], site["topic"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article.status = Article.Status.DRAFT
        article.save()
    other_id = site["other"].pk
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        site["other"].delete()
    unpublished, deleted = purges()
    assert {f"article-{article.pk}", "home", f"topic-{topic.pk}-list"} <= unpublished
    assert {f"article-{other_id}", "home", f"topic-{topic.pk}-list"} <= deleted


def test_topic_author_and_pick_changes_purge_their_tags(site, purges, django_capture_on_commit_callbacks):
    topic, article = site["topic"], site["article"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        topic.name = "Money"
        topic.save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article.author.name = "A. N. Other"
        article.author.save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        RelatedArticle.objects.filter(article=article).delete()
    renamed, author, pick = purges()
    assert f"topic-{topic.pk}" in renamed
    assert f"author-{article.author_id}" in author
    assert f"article-{article.pk}" in pick


def test_a_rolled_back_save_purges_nothing_and_the_next_one_still_does(
    site, purges, django_capture_on_commit_callbacks
):
    article = site["article"]
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            article.title = "Never saved"
            article.save()
            raise RuntimeError
        assert purges() == []
        with transaction.atomic():
            article.refresh_from_db()
            article.dek = "Saved"
            article.save()
    assert len(purges()) == 1


def test_a_scheduled_article_purges_the_listings_when_its_time_comes(purges, django_capture_on_commit_callbacks):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as traveller:
        topic = TopicFactory()
        soon = ArticleFactory(published_at=timezone.now() + timedelta(seconds=30), topics=[topic])
        assert scheduled_articles_purge() == []
        traveller.shift(timedelta(seconds=60))
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            assert scheduled_articles_purge() == [soon.pk]
        assert scheduled_articles_purge() == []  # once
    assert {f"article-{soon.pk}", "home", f"topic-{topic.pk}-list"} <= purges()[-1]


def test_a_front_cache_that_fails_is_retried_and_never_fails_the_save(
    site, settings, recording_server, django_capture_on_commit_callbacks
):
    settings.FRONT_CACHE_PURGER = "varnish"
    settings.FRONT_CACHE_URL = recording_server.url
    recording_server.status = 503
    with pytest.raises(PurgeError):
        VarnishPurger(urls=(recording_server.url,)).purge(["article-1"])
    with pytest.raises(Retry):  # the task asks Celery to try again later
        front_cache_purge_task.apply(args=[["article-1"]])
    assert recording_server.requests[-1].headers["xkey-softpurge"] == "article-1"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        site["article"].title = "Saved whatever the cache says"
        site["article"].save()
    assert Article.objects.get(pk=site["article"].pk).title == "Saved whatever the cache says"


def test_with_no_broker_to_queue_it_the_purge_is_sent_once_from_the_save(
    site, purges, django_capture_on_commit_callbacks
):
    app.conf.task_always_eager = False  # as in production; the suite's fixture puts it back
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            site["article"].title = "Saved with the broker away"
            site["article"].save()
    assert Article.objects.get(pk=site["article"].pk).title == "Saved with the broker away"
    assert purges() and f"article-{site['article'].pk}" in purges()[-1]


def test_no_front_cache_sends_nothing(site, recording_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        AuthorFactory().save()
        site["article"].save()
    assert callbacks == [] and recording_server.requests == []


def test_the_signup_form_on_a_reader_page_carries_no_token(site, client):
    form = soup(client.get(site["article"].get_absolute_url())).find("form", class_="signup-form")
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is None

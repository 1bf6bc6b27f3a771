"""Revisions: one for every save, from the admin or from code; a readable diff; one-click restore."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.revisions import body_as_text, revision_changes, word_diff
from tests.html import soup

from .factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _form_data(article: Article, **changes) -> dict:
    local = article.published_at.astimezone() if article.published_at else None
    data = {
        "title": article.title,
        "slug": article.slug,
        "dek": article.dek,
        "key_insights": article.key_insights,
        "body": article.body,
        "author": article.author_id,
        "topics": [topic.pk for topic in article.topics.all()] if article.pk else [],
        "status": article.status,
        "published_at_0": local.strftime("%Y-%m-%d") if local else "",
        "published_at_1": local.strftime("%H:%M:%S") if local else "",
        "hero_image_alt": "",
        "related_links-TOTAL_FORMS": "0",
        "related_links-INITIAL_FORMS": "0",
        "related_links-MIN_NUM_FORMS": "0",
        "related_links-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_every_orm_save_records_a_revision_with_its_topics():
    markets, policy = TopicFactory(name="Markets"), TopicFactory(name="Policy")
    article = ArticleFactory(title="First title", topics=[markets])
    assert article.history.count() == 1  # the create, its topics amended in
    first = article.history.get()
    assert first.history_type == "+" and [row.topic_id for row in first.topics.all()] == [markets.pk]

    article.title = "Second title"
    article.save()
    article.save()
    assert article.history.count() == 3
    assert article.history.first().title == "Second title"

    # A change of topics from code, with no save before it on that instance, is a revision too.
    fresh = Article.objects.get(pk=article.pk)
    fresh.topics.add(policy)
    assert article.history.count() == 4
    assert {row.topic_id for row in article.history.first().topics.all()} == {markets.pk, policy.pk}


def test_an_admin_save_records_one_revision_with_the_new_topics_and_the_editor(admin_client, admin_user):
    markets, policy = TopicFactory(name="Markets"), TopicFactory(name="Policy")
    article = ArticleFactory(topics=[markets])
    before = article.history.count()
    url = reverse("admin:articles_article_change", args=[article.pk])
    response = admin_client.post(url, _form_data(article, title="Retitled in the admin", topics=[policy.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert article.history.count() == before + 1
    revision = article.history.first()
    assert revision.title == "Retitled in the admin"
    assert revision.history_user == admin_user
    assert [row.topic_id for row in revision.topics.all()] == [policy.pk]


def test_an_admin_save_that_changes_nothing_records_no_revision(admin_client):
    article = ArticleFactory(topics=[TopicFactory(name="Markets")])
    before = article.history.count()
    url = reverse("admin:articles_article_change", args=[article.pk])
    for _ in range(2):  # Enter in a field, then Save again
        assert admin_client.post(url, _form_data(article, _continue="1")).status_code == 302
    assert article.history.count() == before
    assert admin_client.post(url, _form_data(article, dek="A new standfirst.")).status_code == 302
    assert article.history.count() == before + 1


def test_an_admin_add_records_one_revision(admin_client):
    topic, author = TopicFactory(), AuthorFactory()
    data = _form_data(
        Article(title="New piece", slug="new-piece", dek="d", key_insights="k", body="<p>b</p>", author=author),
        topics=[topic.pk],
        author=author.pk,
    )
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    article = Article.objects.get(slug="new-piece")
    assert article.history.count() == 1
    assert [row.topic_id for row in article.history.get().topics.all()] == [topic.pk]


def test_the_diff_reads_as_words_not_html():
    assert body_as_text("<h2>Head</h2><p>One &amp; two</p><ul><li><p>a</p></li></ul>") == "Head\nOne & two\na"
    assert word_diff("the quick fox", "the slow fox") == [
        ("same", "the "),
        ("removed", "quick"),
        ("added", "slow"),
        ("same", " fox"),
    ]
    article = ArticleFactory(body="<p>Markets fell sharply.</p>", dek="Old dek")
    article.body, article.dek = "<p>Markets rose sharply.</p>", "Old dek"
    article.save()
    newer, older = article.history.all()[:2]
    changes = {change.label: change.pieces for change in revision_changes(newer, older)}
    assert list(changes) == ["Body"]
    assert ("removed", "fell") in changes["Body"] and ("added", "rose") in changes["Body"]


def test_revisions_page_shows_the_diff_and_restore_brings_the_text_back(admin_client, admin_user):
    markets, policy = TopicFactory(name="Markets"), TopicFactory(name="Policy")
    article = ArticleFactory(title="Original title", body="<p>Original words.</p>", topics=[markets])
    original = article.history.get()
    article.title, article.body = "Rewritten title", "<p>Rewritten words.</p>"
    article.save()
    article.topics.set([policy])

    page = soup(admin_client.get(reverse("admin:articles_article_revisions", args=[article.pk])))
    latest = page.select(".revision")[0]
    assert [tag.get_text() for tag in latest.select("del")][:1] == ["Original"]
    assert "Rewritten" in [tag.get_text() for tag in latest.select("ins")]
    assert "Policy" in latest.get_text() and "current" in latest.get_text()
    assert page.find(id=f"revision-{original.history_id}").find("button", string="Restore this revision")

    published_at = article.published_at
    url = reverse("admin:articles_article_revision_restore", args=[article.pk, original.history_id])
    assert admin_client.get(url).status_code == 405  # a restore is a POST, with the CSRF check
    response = admin_client.post(url)
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.body) == ("Original title", "<p>Original words.</p>")
    assert list(article.topics.all()) == [markets]
    assert article.published_at == published_at and article.status == Article.Status.PUBLISHED
    restore = article.history.first()
    assert article.history.count() == 3
    assert restore.history_change_reason.startswith("Restored the revision of")
    assert restore.history_user == admin_user and restore.title == "Original title"


def test_a_revision_saved_before_its_date_reads_scheduled(admin_client):
    article = ArticleFactory(title="Held back", published_at=timezone.now() + timedelta(days=2))
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        article.title = "Out now"
        article.save()
        page = soup(admin_client.get(reverse("admin:articles_article_revisions", args=[article.pk])))
    out, held = page.select(".revision")
    assert "· Published," in out.select_one(".revision-head p").get_text()
    assert "· Scheduled," in held.select_one(".revision-head p").get_text()
    changes = {change.label: change for change in revision_changes(article.history.last())}
    assert "".join(text for _, text in changes["Status"].pieces) == "Scheduled"


def test_dates_and_states_change_as_whole_values():
    article = ArticleFactory(published_at=timezone.now() - timedelta(days=3))
    article.published_at -= timedelta(days=2)
    article.save()
    first, latest = article.history.order_by("history_id")
    change = {change.label: change for change in revision_changes(latest, first)}["Publication date"]
    assert change.whole and [kind for kind, _ in change.pieces] == ["removed", "added"]
    before = {change.label: change.pieces for change in revision_changes(first)}["Publication date"]
    assert change.pieces[0] == ("removed", before[-1][1])


def test_a_revision_of_another_article_is_not_restored(admin_client):
    one, other = ArticleFactory(), ArticleFactory()
    foreign = other.history.get()
    url = reverse("admin:articles_article_revision_restore", args=[one.pk, foreign.history_id])
    assert admin_client.post(url).status_code == 404
    assert admin_client.get(reverse("admin:articles_article_revisions", args=[999999])).status_code == 404


def test_restoring_needs_the_change_permission(client, django_user_model):
    from django.contrib.auth.models import Permission

    article = ArticleFactory(title="Kept")
    article.title = "Changed"
    article.save()
    viewer = django_user_model.objects.create_user("viewer", password="a-long-test-password", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(viewer)
    assert client.get(reverse("admin:articles_article_revisions", args=[article.pk])).status_code == 200
    oldest = article.history.last()
    url = reverse("admin:articles_article_revision_restore", args=[article.pk, oldest.history_id])
    assert client.post(url).status_code == 403
    article.refresh_from_db()
    assert article.title == "Changed"


def test_restore_leaves_out_topics_and_authors_deleted_since():
    gone_topic, kept_topic = TopicFactory(name="Gone"), TopicFactory(name="Kept")
    old_author = AuthorFactory()
    article = ArticleFactory(title="Old", author=old_author, topics=[gone_topic, kept_topic])
    first = article.history.get()
    article.author, article.title = AuthorFactory(), "New"
    article.save()
    old_author.delete()
    gone_topic.delete()
    from articles.services import article_revision_restore

    article_revision_restore(article=article, revision=first)
    article.refresh_from_db()
    assert article.title == "Old" and article.author.pk != old_author.pk
    assert list(article.topics.all()) == [kept_topic]


def test_running_seed_demo_again_adds_no_revisions():
    from django.core.management import call_command

    call_command("seed_demo", stdout=None)
    count = Article.history.count()
    assert count == Article.objects.count()
    call_command("seed_demo", stdout=None)
    assert Article.history.count() == count

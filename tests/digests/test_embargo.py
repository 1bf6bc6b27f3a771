"""Embargoes hold: only published, due articles reach a mail or the archive, whoever picked them and when.

The cases: a draft and a scheduled article put in an edition in code, and a published one
unpublished, and another moved to a later date, after being picked.
"""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Topic
from digests.building import NothingToSend, edition_contents, edition_recipients
from digests.models import Delivery, Digest
from digests.rendering import digest_preview
from digests.services import digest_send, digest_send_test
from newsletter.models import Subscriber
from tests.articles.factories import ArticleFactory
from tests.integration import celery_worker, smtp_sink  # noqa: F401 - fixtures

from .factories import SubscriberFactory

ARTICLE_LINK = re.compile(r"/articles/([\w-]+)/")
EMBARGOED = {"a-draft", "scheduled", "unpublished-later", "moved-later"}


def _edition(markets: Topic) -> Digest:
    now = timezone.now()
    edition = Digest.objects.create(
        cadence="weekly", period_start=now - timedelta(days=7), period_end=now, subject="This week"
    )
    live = ArticleFactory(slug="live", topics=[markets])
    draft = ArticleFactory(slug="a-draft", status=Article.Status.DRAFT, published_at=None, topics=[markets])
    scheduled = ArticleFactory(slug="scheduled", published_at=now + timedelta(days=1), topics=[markets])
    unpublished = ArticleFactory(slug="unpublished-later", topics=[markets])
    moved = ArticleFactory(slug="moved-later", topics=[markets])
    # Code may put anything in an edition: the check belongs to building and sending.
    edition.articles.set([live, draft, scheduled, unpublished, moved])
    # After being picked: one unpublished, one moved to a later date.
    Article.objects.filter(pk=unpublished.pk).update(status=Article.Status.DRAFT)
    Article.objects.filter(pk=moved.pk).update(published_at=now + timedelta(days=2))
    return edition


def _slugs(text: str) -> set[str]:
    return set(ARTICLE_LINK.findall(text))


@pytest.fixture
def markets(db):
    return Topic.objects.create(name="Markets", slug="markets")


@pytest.fixture
def edition(markets):
    return _edition(markets)


@pytest.mark.django_db
def test_previews_and_tests_carry_only_published_articles(edition, mailoutbox):
    reader = SubscriberFactory(email="reader@example.com")
    message = digest_preview(digest=edition, subscriber=reader)
    assert _slugs(message.body) == {"live"}
    assert _slugs(message.alternatives[0][0]) == {"live"}
    digest_send_test(digest=edition, email="editor@example.com")
    assert _slugs(mailoutbox[0].body) == {"live"}


@pytest.mark.django_db
def test_the_editor_is_told_what_was_left_out_and_why(edition):
    withheld = {entry.title: entry.reason for entry in edition_contents(edition).withheld}
    titles = dict(Article.objects.filter(slug__in=EMBARGOED).values_list("slug", "title"))
    assert set(withheld) == set(titles.values())
    assert "draft" in withheld[titles["a-draft"]] and "draft" in withheld[titles["unpublished-later"]]
    assert "scheduled for" in withheld[titles["scheduled"]] and "scheduled for" in withheld[titles["moved-later"]]


@pytest.mark.django_db
def test_nobody_is_a_recipient_for_an_embargoed_article_alone(edition, markets):
    policy = Topic.objects.create(name="Policy", slug="policy")
    Article.objects.get(slug="a-draft").topics.add(policy)
    SubscriberFactory(email="markets@example.com", topics=[markets])
    SubscriberFactory(email="policy@example.com", topics=[policy])  # only the draft is theirs
    assert set(edition_recipients(edition).values_list("email", flat=True)) == {"markets@example.com"}


@pytest.mark.django_db
def test_an_edition_with_nothing_published_is_not_sent(markets, mailoutbox):
    edition = _edition(markets)
    edition.articles.remove(Article.objects.get(slug="live"))
    SubscriberFactory()
    with pytest.raises(NothingToSend, match="no published article"):
        digest_send(digest=edition)
    edition.refresh_from_db()
    assert edition.status == Digest.Status.DRAFT and not Delivery.objects.exists()
    with pytest.raises(NothingToSend):
        digest_send_test(digest=edition, email="editor@example.com")
    assert mailoutbox == []


@pytest.mark.django_db
def test_sending_checks_again_when_the_workers_render(edition, mailoutbox, django_capture_on_commit_callbacks):
    SubscriberFactory(email="reader@example.com")
    late = ArticleFactory(slug="late-news")
    edition.articles.add(late)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        digest_send(digest=edition)
    # Unpublished after the ledger was written, before any worker rendered the mail.
    Article.objects.filter(pk=late.pk).update(status=Article.Status.DRAFT)
    for callback in queued:
        callback()
    assert [_slugs(m.body) for m in mailoutbox] == [{"live"}]
    edition.refresh_from_db()
    assert late.title in {entry["title"] for entry in edition.withheld}
    assert len(edition.withheld) == 5


@pytest.mark.django_db
def test_the_archive_reads_through_published(client, edition):
    Digest.objects.filter(pk=edition.pk).update(status=Digest.Status.SENT)
    page = client.get(edition.get_absolute_url()).content.decode()
    assert _slugs(page) >= {"live"} and not _slugs(page) & EMBARGOED
    Article.objects.filter(slug="live").update(status=Article.Status.DRAFT)  # unpublished after it went out
    assert "/articles/live/" not in client.get(edition.get_absolute_url()).content.decode()


# The admin's article picker


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-password-1")
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_the_picker_offers_only_published_due_articles(client, editor, edition):
    ArticleFactory(slug="another-live", title="Grid investment outlook")
    url = reverse("admin:digests_digest_article_search")
    found = client.get(url, {"term": ""}).json()["results"]
    slugs = set(Article.objects.filter(pk__in=[int(r["id"]) for r in found]).values_list("slug", flat=True))
    assert slugs == {"live", "another-live"}
    found = client.get(url, {"term": "grid outlook"}).json()["results"]
    assert [r["text"].split(" · ")[0] for r in found] == ["Grid investment outlook"]
    client.logout()
    assert client.get(url).status_code == 302  # staff only


@pytest.mark.django_db
def test_the_form_refuses_a_newly_picked_draft_and_shows_what_is_left_out(client, editor, edition):
    change = reverse("admin:digests_digest_change", args=[edition.pk])
    page = client.get(change).content.decode()
    assert "Left out of the mail" in page and "scheduled for" in page and "draft" in page
    new_draft = ArticleFactory(slug="fresh-draft", title="Fresh draft", status=Article.Status.DRAFT, published_at=None)
    form = {
        "cadence": "weekly",
        "period_start_0": "2026-11-23",
        "period_start_1": "07:00:00",
        "period_end_0": "2026-11-30",
        "period_end_1": "07:00:00",
        "subject": "This week",
        "intro": "",
        "articles": [*edition.articles.values_list("pk", flat=True), new_draft.pk],
    }
    refused = client.post(change, form)
    assert refused.status_code == 200
    assert (
        "Only published articles can be picked" in refused.content.decode()
        and "Fresh draft" in refused.content.decode()
    )
    assert not edition.articles.filter(pk=new_draft.pk).exists()
    # Already-picked articles that were embargoed later stay in the edition (and stay left out).
    form["articles"].remove(new_draft.pk)
    assert client.post(change, form).status_code == 302
    assert edition.articles.count() == 5


@pytest.mark.django_db
def test_send_now_page_lists_what_is_left_out(client, editor, edition, mailoutbox, django_capture_on_commit_callbacks):
    SubscriberFactory()
    page = client.get(reverse("admin:digests_digest_send_now", args=[edition.pk]))
    assert page.context["recipients"] == 1
    assert len(page.context["withheld"]) == 4
    assert "Left out" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("admin:digests_digest_send_now", args=[edition.pk]), {"confirm": "send"})
    progress = client.get(sent.url).content.decode()
    assert "Left out of every mail" in progress and progress.count("scheduled for") == 2
    assert [m.to for m in mailoutbox] == [[Subscriber.objects.get().email]]


# End to end: a real worker, a real SMTP server


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_no_embargoed_article_reaches_a_mail_or_the_archive(celery_worker, smtp_sink, client):  # noqa: F811
    markets = Topic.objects.create(name="Markets", slug="markets")
    edition = _edition(markets)
    readers = {"ann@example.com", "bob@example.com"}
    SubscriberFactory(email="ann@example.com", topics=[markets])
    SubscriberFactory(email="bob@example.com")
    digest_send(digest=edition)
    for address in readers:
        smtp_sink.wait_for(lambda m, address=address: m["To"] == address)
    edition.refresh_from_db()
    for _ in range(200):
        if edition.status == Digest.Status.SENT:
            break
        time.sleep(0.1)
        edition.refresh_from_db()
    assert edition.status == Digest.Status.SENT and edition.sent_count == 2
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(readers)
    for message in smtp_sink.messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert _slugs(text) == {"live"} and _slugs(html) == {"live"}
    assert len(edition.withheld) == 4
    assert all("draft" in entry["reason"] or "scheduled for" in entry["reason"] for entry in edition.withheld)
    page = client.get(edition.get_absolute_url()).content.decode()
    assert "/articles/live/" in page and not _slugs(page) & EMBARGOED


@pytest.mark.django_db(transaction=True)  # the command commits, as it does in a terminal
def test_send_digest_command_says_why_an_edition_with_nothing_published_is_not_sent(markets, mailoutbox):
    from io import StringIO

    from django.core.management import call_command

    edition = _edition(markets)
    edition.articles.remove(Article.objects.get(slug="live"))
    SubscriberFactory()
    err = StringIO()
    call_command("send_digest", "--digest", str(edition.pk), stdout=StringIO(), stderr=err)
    assert "Nothing to send" in err.getvalue() and "scheduled for" in err.getvalue()
    assert mailoutbox == []

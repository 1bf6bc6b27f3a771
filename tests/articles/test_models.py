from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from articles.models import Article

from .factories import ArticleFactory, TopicFactory, relate

pytestmark = pytest.mark.django_db


def test_published_excludes_drafts_and_scheduled():
    live = ArticleFactory()
    ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    ArticleFactory(status=Article.Status.DRAFT, published_at=timezone.now() - timedelta(days=1))
    ArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    assert list(Article.objects.published()) == [live]


def test_scheduled_article_appears_by_itself_when_due():
    due = timezone.now() + timedelta(days=2)
    scheduled = ArticleFactory(published_at=due)
    assert not Article.objects.published().filter(pk=scheduled.pk).exists()
    with time_machine.travel(due - timedelta(seconds=1)):
        assert not Article.objects.published().filter(pk=scheduled.pk).exists()
    with time_machine.travel(due + timedelta(seconds=1)):
        assert Article.objects.published().filter(pk=scheduled.pk).exists()


def test_publishing_without_a_date_stamps_now():
    article = ArticleFactory(published_at=None)
    assert article.published_at is not None
    assert article.published_at <= timezone.now()
    assert Article.objects.published().filter(pk=article.pk).exists()


def test_published_is_newest_first_through_default_ordering():
    old = ArticleFactory(published_at=timezone.now() - timedelta(days=3))
    new = ArticleFactory(published_at=timezone.now() - timedelta(days=1))
    assert list(Article.objects.published()) == [new, old]


@pytest.mark.parametrize(
    ("hostile", "gone"),
    [
        ('<p>Hi</p><script>alert("x")</script>', "<script"),
        ('<p onclick="steal()">Hi</p>', "onclick"),
        ('<p><a href="javascript:alert(1)">click</a></p>', "javascript:"),
        ('<p><img src="x.png" onerror="alert(1)" alt="x"></p>', "onerror"),
        ('<iframe src="https://evil.example"></iframe><p>Hi</p>', "<iframe"),
        ('<p style="position:fixed">Hi</p>', "style="),
        ('<p><a href="JaVaScRiPt:alert(1)">x</a></p>', "alert"),
    ],
)
def test_hostile_body_html_is_gone_after_save(hostile, gone):
    article = ArticleFactory(body=hostile)
    article.refresh_from_db()
    assert gone.lower() not in article.body.lower()


def test_allowed_body_html_survives_save():
    body = (
        "<h2>Heading</h2><h3>Sub</h3><p><strong>b</strong> <em>i</em> "
        '<a href="https://example.com/x">link</a></p><ul><li>a</li></ul><ol><li>b</li></ol>'
        '<blockquote><p>q</p></blockquote><p><img src="/media/a.png" alt="A chart"></p>'
    )
    article = ArticleFactory(body=body)
    article.refresh_from_db()
    for fragment in [
        "<h2>",
        "<h3>",
        "<strong>",
        "<em>",
        'href="https://example.com/x"',
        "<ul>",
        "<ol>",
        "<blockquote>",
        'alt="A chart"',
    ]:
        assert fragment in article.body


def test_reading_time_and_plain_text_are_derived_from_the_body():
    article = ArticleFactory(body="<p>" + "word " * 1000 + "</p><h2>Fish&amp;chips</h2>")
    assert article.reading_time == 5  # 1002 words at 230 a minute, rounded up
    assert "Fish&chips" in article.body_text
    assert "<" not in article.body_text


class TestRelatedArticles:
    def test_editor_picks_come_first_in_their_order(self):
        topic = TopicFactory()
        article = ArticleFactory(topics=[topic])
        first, second, third = ArticleFactory(), ArticleFactory(), ArticleFactory()
        relate(article, second, third, first)
        assert article.related_for_page() == [second, third, first]

    def test_fills_up_to_three_with_recent_articles_sharing_a_topic(self):
        topic, other_topic = TopicFactory(), TopicFactory()
        article = ArticleFactory(topics=[topic])
        pick = ArticleFactory(topics=[other_topic])
        relate(article, pick)
        now = timezone.now()
        older = ArticleFactory(topics=[topic], published_at=now - timedelta(days=5))
        newest = ArticleFactory(topics=[topic], published_at=now - timedelta(days=1))
        newer = ArticleFactory(topics=[topic], published_at=now - timedelta(days=2))
        ArticleFactory(topics=[other_topic], published_at=now - timedelta(minutes=5))  # no shared topic
        assert article.related_for_page() == [pick, newest, newer]
        assert older not in article.related_for_page()

    def test_never_itself_and_never_unpublished(self):
        topic = TopicFactory()
        article = ArticleFactory(topics=[topic])
        draft = ArticleFactory(topics=[topic], status=Article.Status.DRAFT)
        scheduled = ArticleFactory(topics=[topic], published_at=timezone.now() + timedelta(days=1))
        relate(article, draft, scheduled)
        live = ArticleFactory(topics=[topic])
        assert article.related_for_page() == [live]

    def test_shared_topics_count_once(self):
        a, b = TopicFactory(), TopicFactory()
        article = ArticleFactory(topics=[a, b])
        other = ArticleFactory(topics=[a, b])
        assert article.related_for_page() == [other]

    def test_at_most_three(self):
        topic = TopicFactory()
        article = ArticleFactory(topics=[topic])
        picks = [ArticleFactory() for _ in range(5)]
        relate(article, *picks)
        assert article.related_for_page() == picks[:3]

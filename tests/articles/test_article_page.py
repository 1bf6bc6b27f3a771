"""The article page's single PostgreSQL statement answers as the ORM does."""

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.article_page import article_page_orm, article_page_published, page_articles
from articles.models import Article

from .factories import ArticleFactory, AuthorFactory, TopicFactory, relate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _orm(slug: str):
    article = page_articles().published().filter(slug=slug).first()
    return article_page_orm(article) if article else None


def _same(slug: str) -> None:
    fast, orm = article_page_published(slug=slug), _orm(slug)
    if orm is None:
        assert fast is None
        return
    assert fast is not None
    for name in ("id", "title", "slug", "dek", "key_insights", "body", "status", "published_at", "updated_at"):
        assert getattr(fast.article, name) == getattr(orm.article, name), name
    assert fast.article.word_count == orm.article.word_count
    assert fast.article.reading_time == orm.article.reading_time
    assert fast.article.hero_image.name == orm.article.hero_image.name
    assert (fast.article.author.name, fast.article.author.role) == (orm.article.author.name, orm.article.author.role)
    assert [(t.pk, t.name, t.get_absolute_url()) for t in fast.topics] == [
        (t.pk, t.name, t.get_absolute_url()) for t in orm.topics
    ]
    assert [(a.pk, a.title, a.key_insights, a.get_absolute_url()) for a in fast.related_articles] == [
        (a.pk, a.title, a.key_insights, a.get_absolute_url()) for a in orm.related_articles
    ]


def test_one_statement_when_the_editor_picked_three():
    topic = TopicFactory(name="Énergie & <grids>")
    article = ArticleFactory(topics=[topic, TopicFactory(name="Alpha")], author=AuthorFactory(role="Analyste"))
    relate(article, *(ArticleFactory() for _ in range(4)))
    with CaptureQueriesContext(connection) as queries:
        page = article_page_published(slug=article.slug)
    assert len(queries) == 1
    assert [t.name for t in page.topics] == ["Alpha", "Énergie & <grids>"]
    assert len(page.related_articles) == 3
    _same(article.slug)


def test_picks_in_the_editors_order_skipping_unpublished_ones():
    article = ArticleFactory()
    now = timezone.now()
    first, second, third = ArticleFactory(), ArticleFactory(), ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    scheduled = ArticleFactory(published_at=now + timedelta(days=2))
    relate(article, draft, third, scheduled, first, second)
    assert [a.pk for a in article_page_published(slug=article.slug).related_articles] == [third.pk, first.pk, second.pk]
    _same(article.slug)


def test_fewer_picks_filled_from_shared_topics():
    topic = TopicFactory()
    article = ArticleFactory(topics=[topic])
    pick = ArticleFactory()
    relate(article, pick)
    newest = ArticleFactory(topics=[topic], published_at=timezone.now() - timedelta(minutes=5))
    with CaptureQueriesContext(connection) as queries:
        page = article_page_published(slug=article.slug)
    assert len(queries) == 2  # the statement, then the fill from shared topics
    assert [a.pk for a in page.related_articles][:2] == [pick.pk, newest.pk]
    _same(article.slug)


def test_no_topics_no_picks():
    article = ArticleFactory()
    page = article_page_published(slug=article.slug)
    assert page.topics == [] and page.related_articles == []
    _same(article.slug)


@pytest.mark.parametrize(
    ("status", "offset"),
    [
        (Article.Status.DRAFT, None),
        (Article.Status.DRAFT, timedelta(days=-1)),
        (Article.Status.PUBLISHED, timedelta(minutes=1)),
    ],
    ids=["draft", "draft with a date", "scheduled"],
)
def test_unpublished_articles_are_not_found(status, offset):
    article = ArticleFactory(status=status, published_at=timezone.now() + offset if offset else None)
    assert article_page_published(slug=article.slug) is None
    _same(article.slug)


@pytest.mark.parametrize("slug", ["", "nope", "x' OR '1'='1", "%", "é" * 300])
def test_unknown_and_hostile_slugs_find_nothing(slug):
    ArticleFactory()
    assert article_page_published(slug=slug) is None


def test_the_page_reads_no_deferred_column():
    topic = TopicFactory()
    article = ArticleFactory(topics=[topic])
    relate(article, *(ArticleFactory(topics=[topic]) for _ in range(3)))
    page = article_page_published(slug=article.slug)
    with CaptureQueriesContext(connection) as queries:
        seen = [getattr(page.article, name) for name in ("title", "body", "hero_image", "published_at", "word_count")]
        seen.append(page.article.author.name)
        seen += [(t.name, t.get_absolute_url()) for t in page.topics]
        seen += [(a.title, a.key_insights, a.get_absolute_url()) for a in page.related_articles]
    assert len(queries) == 0
    assert len(seen) == 5 + 1 + 1 + 3  # article fields, author, one topic, three picks


def test_the_statement_is_prepared_and_its_plan_reused():
    article = ArticleFactory()

    def prepared() -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
            return [
                (statement, plans) for statement, plans in cursor.fetchall() if "articles_relatedarticle" in statement
            ]

    # PostgreSQL plans a prepared statement afresh for its first five runs, then
    # keeps a generic plan when that is no worse.
    for _ in range(7):
        assert article_page_published(slug=article.slug).article.pk == article.pk
    [(statement, generic_plans)] = prepared()  # one prepared statement, used by every page
    assert "a.slug = $" in statement
    assert generic_plans >= 1


@pytest.mark.django_db(transaction=True)
def test_a_column_type_changed_by_another_connection_does_not_break_the_page():
    """A migration run from another process changes the type of a column the
    prepared statement returns; the next page must still be served."""
    article = ArticleFactory(author=AuthorFactory(role="Analyst"))
    for _ in range(2):
        assert article_page_published(slug=article.slug).article.author.role == "Analyst"
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"], autocommit=True
    )
    try:
        other.execute("ALTER TABLE articles_author ALTER COLUMN role TYPE varchar(121)")
        for _ in range(2):
            assert article_page_published(slug=article.slug).article.author.role == "Analyst"
    finally:
        other.execute("ALTER TABLE articles_author ALTER COLUMN role TYPE varchar(120)")
        other.close()
    # Back to the original type: this connection recovers again, before any later test uses it.
    assert article_page_published(slug=article.slug).article.author.role == "Analyst"

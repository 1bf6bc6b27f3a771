"""What the public article page reads: the article with its author, topics and
related articles.

On PostgreSQL this is one hand-written statement: building three ORM querysets
cost about 3 ms of CPU a page, more than everything else on it together, and
the page is the one a crowd arrives at when a piece is shared. Its WHERE
clauses are those of ``ArticleQuerySet.published()``; tests compare its
answers with the ORM's (tests/articles/test_article_page.py). Other databases
(the embedded SQLite) take the ORM path."""

import functools
import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.utils import timezone
from psycopg import errors
from psycopg.pq import TransactionStatus

from .models import RELATED_ARTICLES_SHOWN, RELATED_CARD_FIELDS, Article, ArticleQuerySet, Author, RelatedArticle, Topic


def _fields(model, wanted=None, *, leave_out=()) -> tuple:
    """Concrete fields in the model's own order, which from_db() expects."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if (wanted is None or field.attname in wanted) and field.attname not in leave_out
    )


# The article's own columns but the search-only body text and vector.
ARTICLE_FIELDS = _fields(Article, leave_out=("body_text", "search_vector"))
AUTHOR_FIELDS = _fields(Author)
TOPIC_FIELDS = _fields(Topic, ("id", "name", "slug"))
RELATED_FIELDS = _fields(Article, ("id", *RELATED_CARD_FIELDS))


@dataclass
class ArticlePage:
    article: Article
    topics: list[Topic]
    related_articles: list[Article]


def page_articles() -> ArticleQuerySet:
    """Articles with what their page prints of them (not the search-only columns)."""
    return Article.objects.select_related("author").defer("body_text", "search_vector")


def article_page_orm(article: Article) -> ArticlePage:
    return ArticlePage(article=article, topics=list(article.topics.all()), related_articles=article.related_for_page())


def article_page_published(*, slug: str) -> ArticlePage | None:
    """The published, due article at ``slug`` and what its page shows, or None."""
    if connection.vendor != "postgresql":
        article = page_articles().published().filter(slug=slug).order_by().first()
        return article_page_orm(article) if article else None
    now = timezone.now()
    with prepared_cursor() as cursor:
        cursor.execute(
            _statement(),
            {"slug": slug, "now": now, "published": Article.Status.PUBLISHED, "shown": RELATED_ARTICLES_SHOWN},
        )
        row = cursor.fetchone()
    if row is None:
        return None
    db, n_article, n_author = connection.alias, len(ARTICLE_FIELDS), len(AUTHOR_FIELDS)
    article = Article.from_db(db, _attnames(ARTICLE_FIELDS), row[:n_article])
    article.author = Author.from_db(db, _attnames(AUTHOR_FIELDS), row[n_article : n_article + n_author])
    topics_json, related_json = row[n_article + n_author :]
    topics = [Topic.from_db(db, _attnames(TOPIC_FIELDS), values) for values in _json(topics_json)]
    related = [Article.from_db(db, _attnames(RELATED_FIELDS), values) for values in _json(related_json)]
    # Filling up from shared topics (fewer than three live picks) is a second query.
    related += article.related_fill(related)
    return ArticlePage(article=article, topics=topics, related_articles=related)


class PreparedCursor(ServerBindingCursor):
    """Binds parameters on the server and prepares each statement on first use:
    PostgreSQL parses it once per connection and, after a few runs, keeps a
    generic plan. Planning the article statement costs PostgreSQL about three
    times what running it does."""

    def execute(self, query, params=None, **kwargs):
        try:
            return super().execute(query, params, prepare=True, **kwargs)
        except (errors.FeatureNotSupported, errors.InvalidSqlStatementName):
            # A migration run from elsewhere changed the type of a column the
            # statement returns ("cached plan must not change result type"), or
            # the server no longer has the statement. psycopg would go on using
            # it: a DEALLOCATE ALL makes it forget every statement it prepared on
            # this connection. In a transaction, its rollback does that instead.
            if self.connection.info.transaction_status != TransactionStatus.IDLE:
                raise
            self.connection.execute("DEALLOCATE ALL")
            return super().execute(query, params, prepare=True, **kwargs)


@contextmanager
def prepared_cursor():
    """Django's cursor (health check, error wrapping, query log) over a PreparedCursor."""
    with connection.cursor() as cursor:
        client_cursor, cursor.cursor = cursor.cursor, PreparedCursor(cursor.db.connection)
        client_cursor.close()
        yield cursor


@functools.cache
def _attnames(fields: tuple) -> list[str]:
    return [field.attname for field in fields]


def _json(value: str | list | None) -> list:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


@functools.cache
def _statement() -> str:
    articles, authors = Article._meta.db_table, Author._meta.db_table
    topics, article_topics = Topic._meta.db_table, Article.topics.through._meta.db_table
    links = RelatedArticle._meta.db_table
    published = "{0}.status = %(published)s AND {0}.published_at <= %(now)s"

    def columns(alias: str, fields: tuple) -> str:
        return ", ".join(f"{alias}.{field.column}" for field in fields)

    # Table and column names come from the models; every value is a bound parameter.
    return f"""
SELECT {columns("a", ARTICLE_FIELDS)},
       {columns("au", AUTHOR_FIELDS)},
       (SELECT json_agg(json_build_array({columns("t", TOPIC_FIELDS)}) ORDER BY t.name)
          FROM {topics} t JOIN {article_topics} tagged ON tagged.topic_id = t.id
         WHERE tagged.article_id = a.id),
       (SELECT json_agg(json_build_array({columns("r", RELATED_FIELDS)}) ORDER BY picks.position, picks.id)
          FROM (SELECT l.position, l.id, l.related_id
                  FROM {links} l JOIN {articles} r ON r.id = l.related_id
                 WHERE l.article_id = a.id AND r.id <> a.id AND {published.format("r")}
                 ORDER BY l.position, l.id
                 LIMIT %(shown)s) picks
          JOIN {articles} r ON r.id = picks.related_id)
  FROM {articles} a JOIN {authors} au ON au.id = a.author_id
 WHERE a.slug = %(slug)s AND {published.format("a")}
"""  # noqa: S608

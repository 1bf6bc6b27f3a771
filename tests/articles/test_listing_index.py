"""Readers' listings find the newest published articles, and count them for the
pager, in one partial index instead of reading the whole table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article

from .factories import ArticleFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # Too few rows for the planner to prefer any index on its own: take the
        # table scan off the menu, so the plan shows which index serves the query.
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


def test_the_home_page_counts_and_lists_articles_from_the_published_index(client, settings):
    ArticleFactory.create_batch(12)
    ArticleFactory.create_batch(3, status=Article.Status.DRAFT)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE articles_article")  # as autovacuum keeps a table in service

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    reads = [query["sql"] for query in captured.captured_queries if 'FROM "articles_article"' in query["sql"]]
    count = next(sql for sql in reads if "COUNT(*)" in sql)
    listing = next(sql for sql in reads if "ORDER BY" in sql and "LIMIT" in sql)

    # CaptureQueriesContext records SQL with its values inlined; EXPLAIN takes it as is.
    count_plan, listing_plan = _plan(count), _plan(listing)
    assert "Index Only Scan using article_published_newest" in count_plan, count_plan
    assert "article_published_newest" in listing_plan, listing_plan
    assert "Sort" not in listing_plan, listing_plan  # read in the index's order, ten rows and done

"""A search cannot take the database with it: repeated words count once, the words are capped,
the statements are bounded by a statement_timeout (503 and a message past it), and one client
can only search so often."""

import contextlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.search import MAX_QUERY_WORDS, SearchTimedOut, query_bounded, search_time_limit
from articles.views import SEARCH_TOO_COSTLY, SEARCH_TOO_MANY
from tests.html import soup

from .factories import ArticleFactory

SEARCH = reverse("articles:search")
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="statement_timeout is PostgreSQL's")


@pytest.mark.parametrize(
    ("query", "bounded"),
    [
        ("grid " * 166, "grid"),
        ("Grid grid GRID power", "Grid power"),
        ('"data centres" "Data Centres" -china -China', '"data centres" -china'),
        ("grid -grid", "grid -grid"),
        ("or grid or or power or", "grid or power"),
        (" ".join(f"w{n}" for n in range(40)), " ".join(f"w{n}" for n in range(MAX_QUERY_WORDS))),
        ('"' + "x " * 50 + '"', '"' + " ".join(["x"] * MAX_QUERY_WORDS) + '"'),
    ],
)
def test_repeated_words_count_once_and_the_words_are_capped(query, bounded):
    assert query_bounded(query) == bounded


@pytest.mark.django_db
def test_a_word_repeated_99_times_is_asked_for_once(client):
    ArticleFactory(title="Grid connections", key_insights="The grid is the bottleneck.")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"q": "grid " * 99}, REMOTE_ADDR="203.0.113.20")
    assert response.status_code == 200
    assert [a.get_text() for a in soup(response).select(".search-results .card-title a")] == ["Grid connections"]
    searches = [q["sql"] for q in queries if "search_vector" in q["sql"] or "LIKE" in q["sql"]]
    assert searches
    # Once per place it is looked for (the fields, the rank, the highlights), not 99 times.
    assert all(sql.lower().count("grid") < 10 for sql in searches), searches


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("seconds", "sql", "outcome"),
    [(0.3, "SELECT pg_sleep(5)", pytest.raises(SearchTimedOut)), (5, "SELECT 1", contextlib.nullcontext())],
    ids=["cancelled past the limit", "finished within it"],
)
def test_postgresql_cancels_a_search_statement_past_the_limit_and_the_limit_ends_with_the_search(seconds, sql, outcome):
    with outcome, search_time_limit(seconds=seconds), connection.cursor() as cursor:
        cursor.execute(sql)
    # The connection is fine afterwards, and the limit did not outlive the search.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("0",)


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_search_past_the_limit_answers_503_with_a_message(client, settings):
    ArticleFactory(title="Grid connections")
    settings.SEARCH_TIME_LIMIT_SECONDS = 0
    response = client.get(SEARCH, {"q": "grid"}, REMOTE_ADDR="203.0.113.21")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "no-store" in response["Cache-Control"]
    page = soup(response)
    assert page.select_one("[role=alert]").get_text(strip=True) == SEARCH_TOO_COSTLY
    assert page.find("input", attrs={"name": "q"})["value"] == "grid"  # the reader can try again
    settings.SEARCH_TIME_LIMIT_SECONDS = 2
    assert client.get(SEARCH, {"q": "grid"}, REMOTE_ADDR="203.0.113.21").status_code == 200


@pytest.mark.django_db
def test_one_client_can_only_search_so_often(client, settings):
    settings.RATE_LIMITS = {"search-ip": (3, 60)}
    for _ in range(3):
        assert client.get(SEARCH, {"q": "grid"}, REMOTE_ADDR="203.0.113.22").status_code == 200
    assert client.get(SEARCH, REMOTE_ADDR="203.0.113.22").status_code == 200  # the empty form is not a search
    refused = client.get(SEARCH, {"q": "power"}, REMOTE_ADDR="203.0.113.22")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert soup(refused).select_one("[role=alert]").get_text(strip=True) == SEARCH_TOO_MANY
    # Another address, and the same /64 counted as one client.
    assert client.get(SEARCH, {"q": "grid"}, REMOTE_ADDR="203.0.113.23").status_code == 200
    for _ in range(3):
        client.get(SEARCH, {"q": "grid"}, REMOTE_ADDR="2001:db8:1:2::1")
    assert client.get(SEARCH, {"q": "grid"}, REMOTE_ADDR="2001:db8:1:2::beef").status_code == 429

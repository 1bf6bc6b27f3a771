from datetime import timedelta

import factory
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.search import MAX_QUERY_LENGTH, _simple_search, marked_html, simple_groups, simple_terms
from tests.html import assert_page_landmarks, soup

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("articles:search")


def found_titles(client, query: str, **params) -> list[str]:
    response = client.get(SEARCH, {"q": query, **params})
    assert response.status_code == 200
    return [a.get_text() for a in soup(response).select(".search-results .card-title a")]


@pytest.fixture
def chips():
    return {
        "export": ArticleFactory(
            title="Export rules for chips tighten",
            key_insights="Licences now cover older chips.",
            body="<p>Suppliers face a new compliance burden.</p>",
        ),
        "plant": ArticleFactory(
            title="A new chips plant in Saxony",
            key_insights="Subsidies decide where fabs go.",
            body="<p>Power prices matter more than wages.</p>",
        ),
        "power": ArticleFactory(
            title="Data centres want electricity",
            key_insights="Grid connections are the bottleneck.",
            body="<p>Power purchase agreements lengthen.</p>",
        ),
    }


def test_search_page_without_a_query_shows_the_form(client):
    response = client.get(SEARCH)
    assert response.status_code == 200
    page = soup(response)
    assert_page_landmarks(page)
    form = page.find("form", role="search")
    field = form.find("input", attrs={"name": "q"})
    assert form.find("label", attrs={"for": field["id"]})
    assert not page.select(".search-results")
    assert page.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")


def test_every_word_must_match(client, chips):
    assert found_titles(client, "chips power") == ["A new chips plant in Saxony"]
    assert sorted(found_titles(client, "chips")) == ["A new chips plant in Saxony", "Export rules for chips tighten"]


def test_minus_excludes_a_word(client, chips):
    assert found_titles(client, "chips -saxony") == ["Export rules for chips tighten"]


def test_quoted_phrase(client, chips):
    assert found_titles(client, '"compliance burden"') == ["Export rules for chips tighten"]
    assert found_titles(client, '"burden compliance"') == []


def test_title_matches_come_first(client):
    ArticleFactory(title="Quarterly outlook", body="<p>Tariffs are discussed at length.</p>")
    ArticleFactory(
        title="Tariffs return", body="<p>Nothing else.</p>", published_at=timezone.now() - timedelta(days=30)
    )
    assert found_titles(client, "tariffs") == ["Tariffs return", "Quarterly outlook"]


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_unpublished_articles_are_never_found(client, status):
    if status == "draft":
        ArticleFactory(title="Secret merger plan", status=Article.Status.DRAFT, published_at=None)
    else:
        ArticleFactory(title="Secret merger plan", published_at=timezone.now() + timedelta(days=1))
    ArticleFactory(title="Public merger analysis")
    assert found_titles(client, "merger") == ["Public merger analysis"]
    assert found_titles(client, "secret") == []


def test_snippet_highlights_hits_and_escapes_article_text(client):
    ArticleFactory(
        title="Markup <b>in</b> titles",
        key_insights="Readers paste <script>alert(1)</script> into chips forums.",
        body="<p>Text with &lt;img src=x onerror=alert(2)&gt; and chips.</p>",
    )
    response = client.get(SEARCH, {"q": "chips"})
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    # SQLite shows the text escaped; PostgreSQL's ts_headline may also drop what looks like a tag.
    assert "&lt;b&gt;in&lt;/b&gt;" in html
    snippet = soup(response).select_one(".snippet")
    assert [mark.get_text().lower() for mark in snippet.find_all("mark")][:1] == ["chips"]
    assert {tag.name for tag in snippet.find_all(True)} == {"mark"}


def test_results_are_paginated_and_links_keep_the_query(client):
    ArticleFactory.create_batch(12, title=factory.Sequence(lambda n: f"Semiconductor story {n}"))
    response = client.get(SEARCH, {"q": "semiconductor"})
    page = soup(response)
    assert len(page.select(".search-results > li")) == 10
    assert "12 articles match" in page.select_one(".result-count").get_text()
    next_link = page.find("a", rel="next")["href"]
    assert next_link == "?q=semiconductor&page=2"
    second = soup(client.get(SEARCH + next_link))
    assert len(second.select(".search-results > li")) == 2


def test_too_long_query_gets_a_clear_message(client):
    response = client.get(SEARCH, {"q": "x" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400
    assert "too long" in soup(response).find(role="alert").get_text()
    assert client.get(SEARCH, {"q": "x" * MAX_QUERY_LENGTH}).status_code == 200


HOSTILE = [
    "'; DROP TABLE articles_article; --",
    "' OR 1=1 --",
    '"unbalanced quote',
    'chips"',
    "((chips",
    "chips & !power | <->",
    "chips:* <2>",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00nul\x01bytes",
    "\ue000marker\ue001",
    "-",
    "-chips",
    '""',
    "or",
    "the and of",
    "🙂 ünïcödé 中文",
    "%_%",
    "\\",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(client, chips, query):
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert Article.objects.count() == 3


def test_repeated_parameter_and_junk_page_do_not_fail(client, chips):
    assert client.get(SEARCH + "?q=chips&q=power&page=zz").status_code == 200


def test_admin_search_uses_the_same_engine(client, chips):
    ArticleFactory(title="Draft about chips", status=Article.Status.DRAFT, published_at=None)
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "pw-not-used-123"))
    response = client.get(reverse("admin:articles_article_changelist"), {"q": "chips -saxony"})
    assert response.status_code == 200
    titles = [a.get_text() for a in soup(response).select("#result_list tbody th a")]
    assert sorted(titles) == ["Draft about chips", "Export rules for chips tighten"]
    # Prefix typing in the related-article picker still works.
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"term": "Expo", "app_label": "articles", "model_name": "relatedarticle", "field_name": "related"},
    )
    assert [item["text"] for item in autocomplete.json()["results"]] == ["Export rules for chips tighten"]


def test_marked_html_allows_only_balanced_marks():
    assert marked_html("a \ue000<b>\ue001 \ue000c") == "a <mark>&lt;b&gt;</mark> <mark>c</mark>"
    assert marked_html("\ue001stray") == "stray"


def test_simple_terms():
    assert simple_terms('chips -"export rules" or "half open') == (["chips", "half open"], ["export rules"])


def test_simple_groups_split_at_or_as_websearch_does():
    assert simple_groups("chips power or electricity -grid") == [(["chips", "power"], []), (["electricity"], ["grid"])]
    assert simple_groups("or or chips or") == [(["chips"], [])]
    assert simple_groups("or -chips") == []  # nothing wanted: nothing found


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("saxony or electricity", ["A new chips plant in Saxony", "Data centres want electricity"]),
        ("chips power or electricity", ["A new chips plant in Saxony", "Data centres want electricity"]),
        ("chips -saxony or grid", ["Data centres want electricity", "Export rules for chips tighten"]),
        ("saxony or", ["A new chips plant in Saxony"]),
    ],
)
def test_the_embedded_engine_reads_or_as_either_side(chips, query, titles):
    # The engine SQLite gets (make run); its lookups are plain icontains, so it runs on either database.
    assert sorted(a.title for a in _simple_search(Article.objects.published(), query)) == titles


# PostgreSQL: stemming, websearch syntax, ranking by weight, the trigger and the index.


@pytest.mark.postgres
def test_stemming_finds_other_forms_of_a_word(client):
    ArticleFactory(title="Regulation arrives for model makers")
    ArticleFactory(title="Unrelated piece")
    assert found_titles(client, "regulating") == ["Regulation arrives for model makers"]
    assert found_titles(client, "regulators") == ["Regulation arrives for model makers"]


@pytest.mark.postgres
def test_websearch_or(client, chips):
    assert sorted(found_titles(client, "saxony or electricity")) == [
        "A new chips plant in Saxony",
        "Data centres want electricity",
    ]


@pytest.mark.postgres
def test_ranking_follows_the_weights(client):
    ArticleFactory(title="Body hit", body="<p>Liquidity dried up.</p>", published_at=timezone.now())
    ArticleFactory(title="Insight hit", key_insights="Liquidity matters.", published_at=timezone.now())
    ArticleFactory(
        title="Liquidity in the title", body="<p>Nothing.</p>", published_at=timezone.now() - timedelta(days=90)
    )
    assert found_titles(client, "liquidity") == ["Liquidity in the title", "Insight hit", "Body hit"]


@pytest.mark.postgres
def test_search_vector_follows_every_write(client):
    article = ArticleFactory(title="Original heading", body="<p>plain</p>")
    assert found_titles(client, "original") == ["Original heading"]
    article.title = "Renamed heading"
    article.save()
    assert found_titles(client, "original") == []
    assert found_titles(client, "renamed") == ["Renamed heading"]
    Article.objects.filter(pk=article.pk).update(body_text="bulk edited semaphore")
    assert found_titles(client, "semaphore") == ["Renamed heading"]
    Article.objects.filter(pk=article.pk).update(dek="A standfirst about tariffs")
    assert found_titles(client, "tariffs") == ["Renamed heading"]
    Article.objects.filter(pk=article.pk).update(key_insights="Insights on lithium")
    assert found_titles(client, "lithium") == ["Renamed heading"]
    Article.objects.filter(pk=article.pk).update(word_count=7)  # not searchable: the vector stays
    assert found_titles(client, "lithium") == ["Renamed heading"]


@pytest.mark.postgres
def test_search_vector_has_a_gin_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'articles_article' AND indexdef LIKE '%%gin%%'"
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("search_vector" in definition for definition in definitions)


@pytest.mark.postgres
def test_postgres_snippet_is_a_highlighted_excerpt(client):
    filler = " ".join(f"word{i}" for i in range(300))
    ArticleFactory(title="Long read", body=f"<p>{filler} the hyperscalers signed {filler}</p>")
    snippet = soup(client.get(SEARCH, {"q": "hyperscaler"})).select_one(".snippet")
    assert snippet.find("mark").get_text() == "hyperscalers"
    assert len(snippet.get_text().split()) < 80


def test_search_page_query_count_does_not_grow_with_results(client):
    ArticleFactory.create_batch(10, title=factory.Sequence(lambda n: f"Capex story {n}"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"q": "capex"})
    # The count, then the page of results with their authors; besides them only the time
    # limit's bookkeeping (a savepoint, resetting statement_timeout), whatever the results.
    reads = [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2, reads
    assert len(queries) <= 5
    assert len(soup(response).select(".search-results > li")) == 10

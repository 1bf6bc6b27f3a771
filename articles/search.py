"""Article search: one engine for the reader's /search/ page and the admin.

On PostgreSQL: the weighted ``search_vector`` (title A, dek and key insights B,
body text C, kept by a database trigger, GIN-indexed) matched with
``websearch_to_tsquery`` (quotes for phrases, ``-word`` to exclude, ``or``) using
the English stemmer, ranked with ``ts_rank`` and highlighted with ``ts_headline``.
On SQLite: every word must appear somewhere (``-word`` must not, quotes keep a
phrase together), ``or`` between words gives either side, as PostgreSQL reads it
(``a b or c`` is a and b, or c); titles that hold every word first.

Highlights come back from the database as plain text with private-use marker
characters around each hit; :func:`marked_html` escapes everything and turns only
those markers into ``<mark>``, so article text can never inject markup.
"""

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import OperationalError, connections, transaction
from django.db.models import Case, F, FloatField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SEARCH_CONFIG = "english"  # also in the migration that creates the trigger
MAX_QUERY_LENGTH = 500
# Words the database is asked to match, after repeated words and phrases are dropped:
# ts_headline's cost grows faster than linearly with the query's terms, so a query of one word
# repeated a hundred times cost seconds of database time (bench/bench_attack.py).
MAX_QUERY_WORDS = 12
MARK_START, MARK_STOP = "\ue000", "\ue001"
SNIPPET_WORDS = 32

# Control characters (NUL breaks PostgreSQL text) and our own markers.
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def query_clean(raw: str) -> str:
    """What the reader typed, without control characters or runs of spaces."""
    return " ".join(_UNWANTED.sub(" ", raw or "").split())


def query_bounded(query: str) -> str:
    """The query with each word or phrase once (ignoring case) and at most MAX_QUERY_WORDS words,
    in the web-search syntax both engines read."""
    kept: list[str] = []
    seen: set[str] = set()
    words = 0
    for quoted_sign, quoted, word in _TERM.findall(query):
        if word and word.lower() == "or":
            if kept and kept[-1].lower() != "or":
                kept.append(word)
            continue
        sign = "-" if quoted_sign or (word.startswith("-") and len(word) > 1) else ""
        text = word.removeprefix("-") if word and sign else word
        phrase = not word
        pieces = (quoted if phrase else text).split()
        if not pieces:
            continue
        pieces = pieces[: MAX_QUERY_WORDS - words]
        key = (sign, phrase, " ".join(pieces).casefold())
        if key in seen:
            continue
        seen.add(key)
        words += len(pieces)
        kept.append(f'{sign}"{" ".join(pieces)}"' if phrase else sign + pieces[0])
        if words >= MAX_QUERY_WORDS:
            break
    while kept and kept[-1].lower() == "or":
        kept.pop()
    return " ".join(kept)


class SearchTimedOut(Exception):
    """The search statements ran past SEARCH_TIME_LIMIT_SECONDS and PostgreSQL cancelled them."""


@contextmanager
def search_time_limit(*, using: str = "default", seconds: float | None = None) -> Iterator[None]:
    """Bound the search statements run inside it, together, to ``seconds``
    (SEARCH_TIME_LIMIT_SECONDS): before each one PostgreSQL is given what is left as its
    ``statement_timeout``, for this transaction only. Raises SearchTimedOut when it runs out."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    deadline = time.monotonic() + (settings.SEARCH_TIME_LIMIT_SECONDS if seconds is None else seconds)

    def bounded(execute, sql, params, many, context):
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            raise SearchTimedOut
        context["cursor"].cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{left_ms}ms"])
        return execute(sql, params, many, context)

    outer_transaction = connection.in_atomic_block
    try:
        with transaction.atomic(using=using):
            with connection.execute_wrapper(bounded):
                yield
            if outer_transaction:  # (a test's): the timeout would outlive the search
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    except OperationalError as error:
        if type(error.__cause__).__name__ == "QueryCanceled":
            raise SearchTimedOut from error
        raise


def simple_groups(query: str) -> list[tuple[list[str], list[str]]]:
    """The SQLite search's alternatives: the query split at each ``or``, each a list of
    (wanted, excluded) words and phrases that must all hold."""
    groups: list[tuple[list[str], list[str]]] = [([], [])]
    for quoted_sign, quoted, word in _TERM.findall(query):
        if word.lower() == "or":
            if groups[-1] != ([], []):
                groups.append(([], []))
            continue
        excluding = bool(quoted_sign) or (word.startswith("-") and len(word) > 1)
        text = " ".join((word.removeprefix("-") if word else quoted).split())
        if not text.strip("\"'"):
            continue
        wanted, excluded = groups[-1]
        (excluded if excluding else wanted).append(text)
    return [group for group in groups if group[0]]


def simple_terms(query: str) -> tuple[list[str], list[str]]:
    """(wanted, excluded) words and phrases of every alternative, for highlighting."""
    groups = simple_groups(query)
    return [term for wanted, _ in groups for term in wanted], [term for _, excluded in groups for term in excluded]


def _is_postgres(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def article_search(*, queryset: QuerySet, query: str, highlight: bool = False) -> QuerySet:
    """Matching articles of ``queryset``, best first, with a ``search_rank``; with
    ``highlight`` on PostgreSQL also ``title_marked`` and ``snippet_marked`` (see
    :func:`search_highlights`, which fills them in Python on SQLite)."""
    query = query_bounded(query_clean(query)[:MAX_QUERY_LENGTH])
    if _is_postgres(queryset):
        return _postgres_search(queryset, query, highlight=highlight)
    return _simple_search(queryset, query)


def _postgres_search(queryset: QuerySet, query: str, *, highlight: bool) -> QuerySet:
    tsquery = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    found = (
        queryset.filter(search_vector=tsquery)
        .defer("search_vector")
        .annotate(search_rank=SearchRank(F("search_vector"), tsquery))
        .order_by("-search_rank", "-published_at", "-pk")
    )
    if not highlight:
        return found
    # ts_headline is costly; PostgreSQL computes it only for the rows the page shows.
    marks = {"start_sel": MARK_START, "stop_sel": MARK_STOP}
    return found.annotate(
        title_marked=SearchHeadline("title", tsquery, config=SEARCH_CONFIG, highlight_all=True, **marks),
        snippet_marked=SearchHeadline(
            Concat("key_insights", Value(" "), "body_text", output_field=TextField()),
            tsquery,
            config=SEARCH_CONFIG,
            max_words=SNIPPET_WORDS,
            min_words=15,
            max_fragments=2,
            fragment_delimiter=" … ",
            **marks,
        ),
    )


def _simple_search(queryset: QuerySet, query: str) -> QuerySet:
    groups = simple_groups(query)
    if not groups:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField())).none()
    fields = ("title", "dek", "key_insights", "body_text")
    condition = in_title = Q()
    for wanted, excluded in groups:
        alternative = Q()
        for term in wanted:
            alternative &= Q.create([(f"{field}__icontains", term) for field in fields], connector=Q.OR)
        for term in excluded:
            alternative &= ~Q.create([(f"{field}__icontains", term) for field in fields], connector=Q.OR)
        condition |= alternative
        in_title |= Q.create([("title__icontains", term) for term in wanted])
    return (
        queryset.filter(condition)
        .annotate(search_rank=Case(When(in_title, then=Value(1.0)), default=Value(0.0), output_field=FloatField()))
        .order_by("-search_rank", "-published_at", "-pk")
    )


def marked_html(text: str) -> SafeString:
    """Escape ``text`` and turn our marker pairs into balanced ``<mark>`` elements."""
    parts: list[str] = []
    open_mark = False
    for piece in re.split(f"([{MARK_START}{MARK_STOP}])", text or ""):
        if piece == MARK_START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == MARK_STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(escape(piece))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def _simple_marked(text: str, terms: list[str], *, window: int | None = None) -> str:
    """Text with markers around each term (case-insensitive); with ``window``,
    only about that many words around the first hit."""
    text = _UNWANTED.sub(" ", text)
    if not terms:
        pattern = None
    else:
        pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    if window is not None:
        words = text.split()
        first = 0
        if pattern:
            first = next((i for i, word in enumerate(words) if pattern.search(word)), 0)
        start = max(0, first - window // 3)
        excerpt = " ".join(words[start : start + window])
        text = ("… " if start else "") + excerpt + (" …" if start + window < len(words) else "")
    if pattern is None:
        return text
    return pattern.sub(lambda match: f"{MARK_START}{match.group(0)}{MARK_STOP}", text)


def search_highlights(articles: Iterable, query: str) -> None:
    """Give each found article ``title_html`` and ``snippet_html``, safe to render."""
    wanted = None
    for article in articles:
        if not hasattr(article, "snippet_marked"):
            if wanted is None:
                wanted, _ = simple_terms(query_bounded(query_clean(query)[:MAX_QUERY_LENGTH]))
            article.title_marked = _simple_marked(article.title, wanted)
            article.snippet_marked = _simple_marked(
                f"{article.key_insights} {article.body_text}", wanted, window=SNIPPET_WORDS
            )
        article.title_html = marked_html(article.title_marked)
        article.snippet_html = marked_html(article.snippet_marked)

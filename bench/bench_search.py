"""Search: PostgreSQL full-text search (GIN index, ranked) against the LIKE scan SQLite uses, same articles.

Needs DATABASE_URL=postgres://…; builds a throwaway test database with generated
articles (words drawn from the demo content), times each query a number of
times and prints medians and the ratio to the LIKE baseline measured in the same run.
"""

import os
import random
import statistics
import time

ARTICLES = int(os.environ.get("BENCH_SEARCH_ARTICLES", "3000"))
WORDS_PER_BODY = 700
REPEAT = 15
QUERIES = ["electricity grid", '"data centres"', "sovereignty -china", "regulation"]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vivold.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def _vocabulary() -> list[str]:
    from django.utils.html import strip_tags

    from articles.demo_content import ARTICLES as DEMO

    words: list[str] = []
    for article in DEMO:
        words += strip_tags(f"{article['title']} {article['key_insights']} {article['body']}").split()
    return [word.strip(".,;:()“”\"'") for word in words if word.strip(".,;:()“”\"'")]


def _fill(count: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from articles.models import Article, Author

    rng = random.Random(7)
    vocabulary = _vocabulary()
    author = Author.objects.create(name="Bench Analyst", slug="bench-analyst")
    now = timezone.now()
    batch = []
    for n in range(count):
        body_text = " ".join(rng.choices(vocabulary, k=WORDS_PER_BODY))
        batch.append(
            Article(
                title=" ".join(rng.choices(vocabulary, k=9)),
                slug=f"bench-{n}",
                dek=" ".join(rng.choices(vocabulary, k=18)),
                key_insights=" ".join(rng.choices(vocabulary, k=60)),
                body=f"<p>{body_text}</p>",
                body_text=body_text,
                author=author,
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(hours=n),
            )
        )
        if len(batch) == 500:
            Article.objects.bulk_create(batch)  # the trigger fills search_vector
            batch = []
    Article.objects.bulk_create(batch)


def _median_ms(run) -> float:
    timings = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    _setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("skipped: needs DATABASE_URL=postgres://…")
        return

    from articles.models import Article
    from articles.search import _simple_search

    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        start = time.perf_counter()
        _fill(ARTICLES)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE articles_article")
        print(f"{ARTICLES} articles of about {WORDS_PER_BODY} words, built in {time.perf_counter() - start:.1f} s")
        print(f"{'query':<24} {'full-text ms':>12} {'LIKE ms':>10} {'LIKE÷FTS':>9} {'hits':>6}")
        for query in QUERIES:

            def full_text(query=query):
                found = Article.objects.published().search(query, highlight=True)
                return found.count(), list(found[:10])

            def like_scan(query=query):
                found = _simple_search(Article.objects.published(), query)
                return found.count(), list(found[:10])

            hits = full_text()[0]
            fts_ms, like_ms = _median_ms(full_text), _median_ms(like_scan)
            print(f"{query:<24} {fts_ms:>12.1f} {like_ms:>10.1f} {like_ms / fts_ms:>8.1f}x {hits:>6}")
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    main()

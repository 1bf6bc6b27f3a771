"""The site the page benchmarks measure: a fresh database with 1,000 published articles (plus drafts
and scheduled ones), topics, authors and editors' picks, built from the demo articles' text."""

import random
from datetime import timedelta

from .environment import DATABASE_URL, REDIS_URL, WORK, django_child, manage, recreate_database, vacuum_analyze
from .load import wrk
from .servers import nginx, varnishd

ARTICLES = 1000


def seed() -> None:
    """Runs in a child process with Django set up on the bench database."""
    from django.db import transaction
    from django.utils import timezone

    from articles.demo_content import ARTICLES as DEMO
    from articles.demo_content import AUTHORS, TOPICS
    from articles.models import Article, Author, RelatedArticle, Topic

    rng = random.Random(5)
    now = timezone.now()
    with transaction.atomic():
        topics = [Topic.objects.create(name=t["name"], slug=t["slug"], description=t["description"]) for t in TOPICS]
        topics += [Topic.objects.create(name=f"Sector {n}", slug=f"sector-{n}") for n in range(1, 9)]
        authors = [Author.objects.create(name=a["name"], slug=a["slug"], role=a["role"]) for a in AUTHORS]
        articles = []
        for n in range(ARTICLES + 30):
            demo = DEMO[n % len(DEMO)]
            if n < ARTICLES:
                status, published_at = Article.Status.PUBLISHED, now - timedelta(hours=n * 7 + 1)
            elif n < ARTICLES + 20:
                status, published_at = Article.Status.DRAFT, None
            else:
                status, published_at = Article.Status.PUBLISHED, now + timedelta(days=n - ARTICLES)
            article = Article(
                title=f"{demo['title']} ({n + 1})",
                slug=f"{demo['slug']}-{n + 1}",
                dek=demo["dek"],
                key_insights=demo["key_insights"],
                body=demo["body"],
                author=rng.choice(authors),
                status=status,
                published_at=published_at,
            )
            article.save()
            article.topics.set(rng.sample(topics, rng.randint(1, 3)))
            articles.append(article)
        published = articles[:ARTICLES]
        RelatedArticle.objects.bulk_create(
            RelatedArticle(article=article, related=other, position=position)
            for article in articles
            for position, other in enumerate(rng.sample([a for a in published if a != article], 3))
        )


def slug_of_article(n: int) -> str:
    from articles.demo_content import ARTICLES as DEMO

    return f"{DEMO[(n - 1) % len(DEMO)]['slug']}-{n}"


def prepare() -> None:
    """The tools checked, the bench database created, migrated and seeded, static files collected,
    the bench's Redis database emptied."""
    WORK.mkdir(parents=True, exist_ok=True)
    wrk(), nginx(), varnishd()
    print(f"seeding {ARTICLES} articles in {DATABASE_URL.rsplit('/', 1)[1]} …", flush=True)
    recreate_database()
    manage("migrate", "--no-input", "-v", "0")
    manage("collectstatic", "--no-input", "-v", "0")
    django_child("from bench.seeding import seed; seed()")
    vacuum_analyze()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()

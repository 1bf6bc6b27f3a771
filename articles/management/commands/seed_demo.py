from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from articles.demo_content import ARTICLES, AUTHORS, TOPICS
from articles.models import Article, Author, RelatedArticle, Topic


class Command(BaseCommand):
    help = "Create or refresh the demo topics, authors and articles. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        topics = {
            t["slug"]: Topic.objects.update_or_create(
                slug=t["slug"], defaults={"name": t["name"], "description": t["description"]}
            )[0]
            for t in TOPICS
        }
        authors = {
            a["slug"]: Author.objects.update_or_create(slug=a["slug"], defaults={"name": a["name"], "role": a["role"]})[
                0
            ]
            for a in AUTHORS
        }
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        articles = {}
        created = 0
        for data in ARTICLES:
            article = Article.objects.filter(slug=data["slug"]).first()
            if article is None:
                article = Article(slug=data["slug"], published_at=now - timedelta(days=data["days_ago"]))
                created += 1
            article.title = data["title"]
            article.dek = data["dek"]
            article.key_insights = data["key_insights"]
            article.body = data["body"]
            article.author = authors[data["author"]]
            article.status = Article.Status.PUBLISHED
            article.save()
            article.topics.set([topics[slug] for slug in data["topics"]])
            articles[data["slug"]] = article
        for data in ARTICLES:
            article = articles[data["slug"]]
            RelatedArticle.objects.filter(article=article).delete()
            RelatedArticle.objects.bulk_create(
                RelatedArticle(article=article, related=articles[slug], position=position)
                for position, slug in enumerate(data["related"])
            )
        self.stdout.write(f"Demo content ready: {len(articles)} articles ({created} new), {len(topics)} topics.")

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
            values = {
                "title": data["title"],
                "dek": data["dek"],
                "key_insights": data["key_insights"],
                "body": Article._meta.get_field("body").sanitize(data["body"]),
                "author_id": authors[data["author"]].pk,
                "status": Article.Status.PUBLISHED,
            }
            # Saved only when new or changed: every save is a revision, and re-running must not pile them up.
            if article.pk is None or any(getattr(article, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(article, name, value)
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

"""One revision for each existing article, its state when revisions began, so
the first edit after this deploy can be compared with and undone. 500 rows a
transaction, so a large table is never locked for the whole fill."""

from django.db import migrations, transaction
from django.utils import timezone

BATCH = 500
FIELDS = ("title", "slug", "dek", "key_insights", "body", "hero_image", "hero_image_alt", "status", "published_at")


def record_baseline(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Revision = apps.get_model("articles", "HistoricalArticle")
    RevisionTopic = apps.get_model("articles", "HistoricalArticle_topics")
    Tagged = Article.topics.through
    now = timezone.now()
    last = 0
    while True:
        batch = list(Article.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        with transaction.atomic():
            for article in batch:
                if Revision.objects.filter(id=article.pk).exists():
                    continue
                revision = Revision.objects.create(
                    id=article.pk,
                    author_id=article.author_id,
                    history_date=now,
                    history_type="+",
                    history_change_reason="State when revisions began",
                    **{name: getattr(article, name) for name in FIELDS},
                )
                RevisionTopic.objects.bulk_create(
                    RevisionTopic(history=revision, id=row.pk, article_id=row.article_id, topic_id=row.topic_id)
                    for row in Tagged.objects.filter(article_id=article.pk)
                )
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("articles", "0007_article_revisions_and_preview_links")]

    operations = [migrations.RunPython(record_baseline, migrations.RunPython.noop, elidable=True)]

"""Counts the words of existing articles, 500 rows a transaction, so a large
table is never locked for the whole fill."""

from django.db import migrations, transaction

BATCH = 500


def count_words(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    last = 0
    while True:
        batch = list(Article.objects.filter(pk__gt=last).order_by("pk").only("pk", "body_text")[:BATCH])
        if not batch:
            return
        for article in batch:
            article.word_count = len(article.body_text.split())
        with transaction.atomic():
            Article.objects.bulk_update(batch, ["word_count"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("articles", "0003_article_word_count")]

    operations = [migrations.RunPython(count_words, migrations.RunPython.noop, elidable=True)]

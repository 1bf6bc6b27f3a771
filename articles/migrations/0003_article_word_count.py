from django.db import migrations, models


def count_words(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    batch = []
    for article in Article.objects.only("pk", "body_text").iterator(chunk_size=500):
        article.word_count = len(article.body_text.split())
        batch.append(article)
        if len(batch) == 500:
            Article.objects.bulk_update(batch, ["word_count"])
            batch = []
    Article.objects.bulk_update(batch, ["word_count"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_article_search_vector")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="word_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_words, migrations.RunPython.noop, elidable=True),
    ]

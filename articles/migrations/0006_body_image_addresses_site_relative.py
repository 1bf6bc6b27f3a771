"""Bodies stored before the editor uploaded images itself may hold addresses
the old upload page gave, with the development host or SITE_URL baked in
(``http://127.0.0.1:8000/media/…``): made site-relative (``/media/…``), as the
editor now stores them. Other sites' images are left alone."""

from django.db import migrations, transaction

BATCH = 500


def relative_addresses(apps, schema_editor):
    from articles.body import body_media_relative

    Article = apps.get_model("articles", "Article")
    last = 0
    while True:
        batch = list(
            Article.objects.filter(pk__gt=last, body__contains='src="http').order_by("pk").only("pk", "body")[:BATCH]
        )
        if not batch:
            return
        changed = []
        for article in batch:
            body = body_media_relative(article.body)
            if body != article.body:
                article.body = body
                changed.append(article)
        with transaction.atomic():
            Article.objects.bulk_update(changed, ["body"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("articles", "0005_article_published_newest")]

    operations = [migrations.RunPython(relative_addresses, migrations.RunPython.noop, elidable=True)]

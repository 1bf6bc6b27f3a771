"""Article.word_count, stored on save (JSON-LD's wordCount no longer loads the body text).

The column gets a database default, so processes still running the previous code
can insert articles while this deploys. On PostgreSQL the search-vector trigger
now fires only for updates of the columns it reads: filling the new column (next
migration) and other bookkeeping updates don't rebuild every vector."""

from django.db import migrations, models

TRIGGER_SQL = """
DROP TRIGGER IF EXISTS articles_article_search_vector ON articles_article;
CREATE TRIGGER articles_article_search_vector
    BEFORE INSERT OR UPDATE {columns}ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_search_vector_update();
"""


def trigger_on_searchable_columns(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL.format(columns="OF title, dek, key_insights, body_text "))


def trigger_on_every_update(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL.format(columns=""))


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_article_search_vector")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="word_count",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(trigger_on_searchable_columns, trigger_on_every_update),
    ]

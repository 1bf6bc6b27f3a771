"""The weighted search vector: a column on every database, filled and indexed on PostgreSQL.

On PostgreSQL a trigger computes the vector from the row itself on every insert and
update (so saves, bulk updates and imports all keep it current) and a GIN index
serves the ``@@`` match. SQLite keeps the empty column and searches with LIKE.
The weights and the text search configuration must match articles/search.py.
"""

import django.contrib.postgres.search
from django.db import migrations

CREATE_SQL = """
CREATE FUNCTION articles_article_search_vector_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('pg_catalog.english', coalesce(NEW.dek, '') || ' ' || coalesce(NEW.key_insights, '')), 'B')
        || setweight(to_tsvector('pg_catalog.english', left(coalesce(NEW.body_text, ''), 500000)), 'C');
    RETURN NEW;
END
$$;
CREATE TRIGGER articles_article_search_vector
    BEFORE INSERT OR UPDATE ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_search_vector_update();
CREATE INDEX articles_article_search_vector_gin ON articles_article USING gin (search_vector);
UPDATE articles_article SET title = title;
"""

DROP_SQL = """
DROP INDEX IF EXISTS articles_article_search_vector_gin;
DROP TRIGGER IF EXISTS articles_article_search_vector ON articles_article;
DROP FUNCTION IF EXISTS articles_article_search_vector_update();
"""


def create_search_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL)


def drop_search_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create_search_trigger, drop_search_trigger, elidable=False),
    ]

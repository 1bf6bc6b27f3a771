"""Data migrations fill what the code now stores."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def back_to_latest():
    """Tests that follow run on the schema of the latest migrations."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_word_counts_are_filled_for_existing_articles():
    old = _migrate(("articles", "0002_article_search_vector"))
    author = old.get_model("articles", "Author").objects.create(name="A", slug="a")
    Article = old.get_model("articles", "Article")
    for n in range(3):
        Article.objects.create(
            title=f"T{n}", slug=f"t{n}", dek="d", key_insights="k", body="<p>x</p>", author=author,
            body_text=" ".join(["word"] * (n * 250 + 1)), status="draft",
        )  # fmt: skip
    new = _migrate(("articles", "0004_article_word_count_fill"))
    counts = sorted(new.get_model("articles", "Article").objects.values_list("word_count", flat=True))
    assert counts == [1, 251, 501]

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


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_image_addresses_the_old_upload_page_gave_become_site_relative(settings):
    settings.SITE_URL = "https://insights.example.org"
    old = _migrate(("articles", "0005_article_published_newest"))
    author = old.get_model("articles", "Author").objects.create(name="A", slug="a")
    Article = old.get_model("articles", "Article")
    bodies = {
        "dev": '<p><img src="http://127.0.0.1:8000/media/articles/body/2026/11/a.png" alt="A"></p>',
        "site": '<p><img src="https://insights.example.org/media/articles/body/2026/11/b.png" alt="B"></p>',
        "theirs": '<p><img src="https://images.example.net/media/c.png" alt="C"></p>',
    }
    for slug, body in bodies.items():
        Article.objects.create(
            title=slug, slug=slug, dek="d", key_insights="k", body=body, author=author, status="draft"
        )  # fmt: skip
    new = _migrate(("articles", "0006_body_image_addresses_site_relative"))
    stored = dict(new.get_model("articles", "Article").objects.values_list("slug", "body"))
    assert 'src="/media/articles/body/2026/11/a.png"' in stored["dev"]
    assert 'src="/media/articles/body/2026/11/b.png"' in stored["site"]
    assert stored["theirs"] == bodies["theirs"]

import pytest
from django.core.management import call_command

from articles.models import Article, RelatedArticle, Topic

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_complete():
    call_command("seed_demo")
    counts = (Article.objects.count(), Topic.objects.count(), RelatedArticle.objects.count())
    call_command("seed_demo")
    assert (Article.objects.count(), Topic.objects.count(), RelatedArticle.objects.count()) == counts

    published = Article.objects.published()
    assert published.count() >= 8
    assert Topic.objects.filter(articles__in=published).distinct().count() >= 3
    assert RelatedArticle.objects.exists()
    for article in published:
        assert article.key_insights
        assert "<h2>" in article.body and ("<ul>" in article.body or "<ol>" in article.body)
        assert len(article.related_for_page()) == 3

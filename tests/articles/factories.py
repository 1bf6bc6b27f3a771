from datetime import timedelta

import factory
from django.utils import timezone

from articles.models import Article, Author, RelatedArticle, Topic


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Analyst {n}")
    slug = factory.Sequence(lambda n: f"analyst-{n}")
    role = "Senior analyst"


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Insight number {n} on the state of things")
    slug = factory.Sequence(lambda n: f"insight-{n}")
    dek = "Why this matters now."
    key_insights = factory.Sequence(lambda n: f"Summary paragraph for insight {n}.")
    body = "<h2>Context</h2><p>Some analysis.</p><ul><li>One point</li><li>Another point</li></ul>"
    author = factory.SubFactory(AuthorFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


def relate(article: Article, *related: Article) -> None:
    """Make the editor's picks for an article, in the order given."""
    RelatedArticle.objects.bulk_create(
        RelatedArticle(article=article, related=other, position=position) for position, other in enumerate(related)
    )

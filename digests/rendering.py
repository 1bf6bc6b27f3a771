"""Digest mail: rendered once per edition and selection of articles, personalized by substitution.

Only the unsubscribe and preferences links differ between two readers who chose the same
topics, so each distinct selection is rendered once with placeholders for those links,
and each reader's copy is made by replacing them.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from articles.models import Article
from core.links import absolute_url
from insights.links import digest_article_url
from newsletter.emails import render_mail, subscriber_links, subscriber_message
from newsletter.models import Subscriber

from .building import edition_contents
from .models import Digest

UNSUBSCRIBE_PLACEHOLDER = "__vivold_unsubscribe_url__"
PREFERENCES_PLACEHOLDER = "__vivold_preferences_url__"


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str

    def personalize(self, links: dict[str, str]) -> tuple[str, str]:
        text, html = self.text, self.html
        for placeholder, url in (
            (UNSUBSCRIBE_PLACEHOLDER, links["unsubscribe_url"]),
            (PREFERENCES_PLACEHOLDER, links["preferences_url"]),
        ):
            text = text.replace(placeholder, url)
            html = html.replace(placeholder, url)
        return text, html


def digest_render(*, digest: Digest, articles: list[Article]) -> RenderedDigest:
    for article in articles:
        article.digest_url = digest_article_link(digest=digest, article=article)
    context = {
        "digest": digest,
        "articles": articles,
        "article": articles[0] if articles else None,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "archive_url": absolute_url(reverse("digests:detail", kwargs={"pk": digest.pk})),
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "preferences_url": PREFERENCES_PLACEHOLDER,
    }
    template = "digests/email/article" if digest.kind == Digest.Kind.ARTICLE else "digests/email/digest"
    text, html = render_mail(template, context)
    return RenderedDigest(subject=digest.subject, text=text, html=html)


def digest_article_link(*, digest: Digest, article: Article) -> str:
    """Where a digest links to an article: through the counted, signed redirect (one click per
    edition and article, not who clicked), or straight to it for an edition not yet saved."""
    if digest.pk is None:
        return absolute_url(article.get_absolute_url())
    return digest_article_url(digest_id=digest.pk, slug=article.slug)


class DigestRenderer:
    """Picks each subscriber's articles and renders each distinct selection once.

    Only articles that may go out when it is built (published and due) are in any mail;
    `withheld` lists the others, with the reason.
    """

    def __init__(self, digest: Digest):
        self.digest = digest
        contents = edition_contents(digest)
        self.articles = contents.articles
        self.withheld = contents.withheld
        self._cache: dict[tuple[int, ...], RenderedDigest] = {}

    def articles_for(self, topic_ids: frozenset[int]) -> list[Article]:
        if not topic_ids:
            return self.articles
        return [a for a in self.articles if any(t.pk in topic_ids for t in a.topics.all())]

    def for_topics(self, topic_ids: frozenset[int]) -> RenderedDigest | None:
        articles = self.articles_for(topic_ids)
        if not articles:
            return None
        key = tuple(a.pk for a in articles)
        if key not in self._cache:
            self._cache[key] = digest_render(digest=self.digest, articles=articles)
        return self._cache[key]


def digest_message(
    *, renderer: DigestRenderer, subscriber: Subscriber, topic_ids: frozenset[int], connection=None
) -> EmailMultiAlternatives | None:
    """The mail this subscriber gets, or None when none of the edition's articles is theirs."""
    rendered = renderer.for_topics(topic_ids)
    if rendered is None:
        return None
    return rendered_message(rendered=rendered, subscriber=subscriber, connection=connection)


def rendered_message(*, rendered: RenderedDigest, subscriber: Subscriber, connection=None) -> EmailMultiAlternatives:
    """This subscriber's copy of a rendered mail, built in full."""
    links = subscriber_links(subscriber)
    text, html = rendered.personalize(links)
    return subscriber_message(
        subscriber=subscriber,
        subject=rendered.subject,
        text=text,
        html=html,
        unsubscribe_url=links["unsubscribe_url"],
        connection=connection,
    )


def subscriber_topic_ids(subscriber_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    chosen: dict[int, set[int]] = {}
    rows = Subscriber.topics.through.objects.filter(subscriber_id__in=list(subscriber_ids))
    for subscriber_id, topic_id in rows.values_list("subscriber_id", "topic_id"):
        chosen.setdefault(subscriber_id, set()).add(topic_id)
    return {pk: frozenset(ids) for pk, ids in chosen.items()}


def digest_preview(*, digest: Digest, subscriber: Subscriber) -> EmailMultiAlternatives | None:
    """The mail exactly as this subscriber would get it (None if nothing in it is theirs)."""
    topic_ids = subscriber_topic_ids([subscriber.pk]).get(subscriber.pk, frozenset())
    return digest_message(renderer=DigestRenderer(digest), subscriber=subscriber, topic_ids=topic_ids)

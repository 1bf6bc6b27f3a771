"""Atom and RSS feeds of the latest published articles, and an Atom feed per topic.

Each entry carries the key insights as its summary and the full body as its
content; every link is absolute, built from ``SITE_URL``.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, rfc3339_date
from django.utils.html import escape

from core.frontcache import add_tags
from core.links import absolute_url

from .models import Article, Topic
from .purge import topic_listing_tag, topic_tag

FEED_LENGTH = 30
_RELATIVE_URL = re.compile(r'(\s(?:src|href)=")/(?!/)')


def body_for_feed(body: str) -> str:
    """The stored (sanitized) body with site-relative links and images made absolute."""
    root = absolute_url("/")
    return _RELATIVE_URL.sub(lambda match: f"{match.group(1)}{root}", body)


class AtomWithContent(Atom1Feed):
    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class RssWithContent(Rss201rev2Feed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:content": "http://purl.org/rss/1.0/modules/content/"}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item["updateddate"] is not None:
            handler.addQuickElement("atom:updated", rfc3339_date(item["updateddate"]))
        handler.addQuickElement("content:encoded", item["content"])


class LatestArticlesFeed(Feed):
    feed_type = AtomWithContent
    title = settings.SITE_NAME
    subtitle = description = "Analysis and key insights on technology, markets and policy from Vivold Consulting."
    author_name = settings.SITE_NAME

    def link(self) -> str:
        return absolute_url(reverse("articles:home"))

    def feed_url(self) -> str:
        return absolute_url(reverse("articles:feed"))

    def items(self):
        return Article.objects.published().for_listing(with_body=True)[:FEED_LENGTH]

    def item_title(self, article: Article) -> str:
        return article.title

    def item_description(self, article: Article) -> str:
        return escape(article.key_insights)  # the summary is HTML: text must not become markup

    def item_link(self, article: Article) -> str:
        return absolute_url(article.get_absolute_url())

    def item_pubdate(self, article: Article):
        return article.published_at

    def item_updateddate(self, article: Article):
        return max(article.updated_at, article.published_at)

    def item_author_name(self, article: Article) -> str:
        return article.author.name

    def item_categories(self, article: Article) -> list[str]:
        return [topic.name for topic in article.topics.all()]

    def item_extra_kwargs(self, article: Article) -> dict:
        return {"content": body_for_feed(article.body)}


class LatestArticlesRssFeed(LatestArticlesFeed):
    feed_type = RssWithContent

    def feed_url(self) -> str:
        return absolute_url(reverse("articles:feed_rss"))


class TopicFeed(LatestArticlesFeed):
    def get_object(self, request, slug: str) -> Topic:
        topic = get_object_or_404(Topic, slug=slug)
        add_tags(request, {topic_tag(topic.pk), topic_listing_tag(topic.pk)})
        return topic

    def title(self, topic: Topic) -> str:
        return f"{topic.name} · {settings.SITE_NAME}"

    def subtitle(self, topic: Topic) -> str:
        return topic.description or topic.name

    def link(self, topic: Topic) -> str:
        return absolute_url(topic.get_absolute_url())

    def feed_url(self, topic: Topic) -> str:
        return absolute_url(reverse("articles:topic_feed", kwargs={"slug": topic.slug}))

    def items(self, topic: Topic):
        return Article.objects.published().filter(topics=topic).for_listing(with_body=True)[:FEED_LENGTH]

"""The sitemap: every published article (with its last change) and every topic page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import OuterRef, Subquery

from .models import Article, Topic


class SiteUrlSitemap(Sitemap):
    """Locations on SITE_URL's origin, whatever host the request came in on."""

    limit = 5000

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ArticleSitemap(SiteUrlSitemap):
    def items(self):
        return Article.objects.published().order_by("-published_at", "-pk").only("slug", "updated_at", "published_at")

    def lastmod(self, article: Article):
        return max(article.updated_at, article.published_at)


class TopicSitemap(SiteUrlSitemap):
    def items(self):
        latest = Article.objects.published().filter(topics=OuterRef("pk")).order_by("-published_at")
        topics = Topic.objects.annotate(latest=Subquery(latest.values("published_at")[:1]))
        return topics.filter(latest__isnull=False).order_by("name")  # an empty topic page is not worth a crawl

    def lastmod(self, topic: Topic):
        return topic.latest


SITEMAPS = {"articles": ArticleSitemap, "topics": TopicSitemap}

"""Structured data (schema.org JSON-LD) and social-card values for article pages."""

import json

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from core.links import absolute_url

from .models import Article, Topic

PUBLISHER_NAME = "Vivold Consulting"
LOGO = "img/vivold-logo.png"


def hero_image_url(article: Article) -> str:
    return absolute_url(article.hero_image.url) if article.hero_image else ""


def json_ld_script(data: object) -> SafeString:
    # As Django's json_script: nothing in the data can close the element or start markup.
    # Three replace() calls rather than str.translate(), which is far slower on this text.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308 - escaped above


def article_structured_data(article: Article, topics: list[Topic]) -> list[dict]:
    url = absolute_url(article.get_absolute_url())
    published = article.published_at or article.created_at
    names = [topic.name for topic in topics]
    news_article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "mainEntityOfPage": url,
        "url": url,
        "headline": article.title[:110],
        "description": article.key_insights,
        "datePublished": published.isoformat(),
        "dateModified": max(article.updated_at, published).isoformat(),
        "author": {
            "@type": "Person",
            "name": article.author.name,
            **({"jobTitle": article.author.role} if article.author.role else {}),
        },
        "publisher": {
            "@type": "Organization",
            "name": PUBLISHER_NAME,
            "url": absolute_url(reverse("articles:home")),
            "logo": {"@type": "ImageObject", "url": absolute_url(static(LOGO)), "width": 512, "height": 512},
        },
        "image": [hero_image_url(article) or absolute_url(static(LOGO))],
        "articleSection": names,
        "keywords": names,
        "wordCount": article.word_count,
        "inLanguage": settings.LANGUAGE_CODE,
    }
    trail = [(settings.SITE_NAME, absolute_url(reverse("articles:home")))]
    if topics:
        trail.append((topics[0].name, absolute_url(topics[0].get_absolute_url())))
    trail.append((article.title, url))
    breadcrumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": item}
            for position, (name, item) in enumerate(trail, start=1)
        ],
    }
    return [news_article, breadcrumbs]

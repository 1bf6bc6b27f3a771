from django import template
from django.template.defaultfilters import truncatechars
from django.utils.safestring import SafeString

from articles.models import Article, Topic
from articles.reading import Outline, body_outline
from articles.seo import article_structured_data, hero_image_url, json_ld_script

register = template.Library()


@register.simple_tag
def article_outline(article: Article) -> Outline:
    """``{% article_outline article as outline %}``: ``outline.html``, ``outline.headings``."""
    return body_outline(article.body)


@register.simple_tag
def article_json_ld(article: Article, topics: list[Topic]) -> SafeString:
    return json_ld_script(article_structured_data(article, topics))


@register.simple_tag
def article_image_url(article: Article) -> str:
    return hero_image_url(article)


@register.filter(is_safe=True)
def clip(value: str, length: int) -> str:
    """``truncatechars``, skipping its character-by-character walk when the
    text is short enough already (as key insights usually are)."""
    value = str(value)
    try:
        if len(value) <= int(length):
            return value
    except (TypeError, ValueError):
        return value  # as truncatechars does with a length that is not a number
    return truncatechars(value, length)

"""Images in mail (Django templates): absolute addresses, a fixed width, no srcset."""

from django import template
from django.utils.html import format_html

from articles.images import stored_image
from articles.models import Article
from core.links import absolute_url

register = template.Library()

MAIL_COLUMN = 552  # the digest's 600 px sheet less its padding


@register.simple_tag
def mail_hero_image(article: Article, width: int = MAIL_COLUMN) -> str:
    """The article's hero image for a mail, or nothing (also when its file is missing:
    an inbox shows a broken image as an empty frame)."""
    if not article.hero_image:
        return ""
    image = stored_image(article.hero_image.name)
    if image is None:
        return ""
    # A copy about twice the column, sharp on a phone's screen and not much heavier.
    url = next((url for w, url in image.variants if w >= 2 * width), image.url)
    height = round(width * image.height / image.width)
    return format_html(
        '<img class="hero-image" src="{}" alt="{}" width="{}" height="{}">',
        absolute_url(url),
        article.hero_image_alt,
        width,
        height,
    )

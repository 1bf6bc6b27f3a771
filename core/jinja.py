"""The Jinja2 environment of the reader-facing pages (templates under ``jinja2/``).

Reader pages are the busy ones: Jinja2 compiles a template to Python code once
per process and renders it faster than the Django template
language, which still renders the admin and the emails (``templates/``).

Globals: ``static('css/site.css')``; ``link('articles:home')`` and
``link('articles:topic', slug)``;
``url(name, **kwargs)`` for any other pattern; ``article_outline(article)``,
``article_image_url(article)``, ``hero_img(article, sizes=…, lazy=…)`` (srcset and
sizes from the image's narrower copies) and ``article_json_ld(article, topics)``.
Filters: ``when|iso`` and ``when|day_month_year`` (``date:'c'`` and
``date:'j F Y'`` without the general format parser), ``text|clip(300)``, and
Django's ``date``, ``pluralize``, ``truncatechars`` and ``linebreaksbr``."""

import unicodedata
from datetime import date

from django.contrib.staticfiles.storage import staticfiles_storage
from django.template import defaultfilters
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from jinja2 import Environment

from articles.body import body_for_page, responsive_img
from articles.images import stored_image
from articles.models import Article, Topic
from articles.reading import body_outline
from articles.seo import article_structured_data, hero_image_url, json_ld_script

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def iso(value: date | None) -> str:
    return template_localtime(value).isoformat() if value else ""


def day_month_year(value: date | None) -> str:
    if not value:
        return ""
    value = template_localtime(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def date_format(value: date | None, format_string: str) -> str:
    return defaultfilters.date(template_localtime(value), format_string)


def clip(value: str, length: int) -> str:
    """``truncatechars``, without its character-by-character walk in Python.

    That walk exists to step over combining characters (an accent written as a
    character of its own), which do not count towards the length. Where none
    sits in the part kept, the answer is a plain slice."""
    value = unicodedata.normalize("NFC", str(value))
    if len(value) <= length:
        return value
    kept = value[: length + 1]
    if not kept.isascii() and any(map(unicodedata.combining, kept)):
        return defaultfilters.truncatechars(value, length)
    return f"{value[: length - 1]}…"


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


def static(path: str) -> str:
    """The URL of a static file, straight from the storage (Django's static() first asks
    the app registry whether staticfiles is installed, on every call)."""
    return staticfiles_storage.url(path)


def link(name: str, slug: str | None = None) -> str:
    """The URL of a pattern that takes no arguments or only a slug."""
    return reverse(name, kwargs=None if slug is None else {"slug": slug})


def article_json_ld(article: Article, topics: list[Topic]) -> SafeString:
    return json_ld_script(article_structured_data(article, topics))


HERO_SIZES = "(min-width: 44rem) 42rem, calc(100vw - 2rem)"
CARD_SIZES = "(min-width: 40rem) 12rem, calc(100vw - 2rem)"


def hero_img(article: Article, *, sizes: str = HERO_SIZES, lazy: bool = False) -> SafeString:
    """The article's hero image, responsive; empty when it has none."""
    if not article.hero_image:
        return SafeString("")
    name = article.hero_image.name
    markup = responsive_img(
        stored_image(name),
        src=article.hero_image.url,
        alt=article.hero_image_alt,
        sizes=sizes,
        lazy=lazy,
        extra=None if lazy else {"fetchpriority": "high"},
    )
    return SafeString(markup)  # every attribute escaped by responsive_img


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, **options)
    env.globals.update(
        static=static,
        link=link,
        url=url,
        article_outline=lambda article: body_outline(body_for_page(article.body)),
        hero_img=hero_img,
        CARD_SIZES=CARD_SIZES,
        article_image_url=hero_image_url,
        article_json_ld=article_json_ld,
    )
    env.filters.update(
        iso=iso,
        day_month_year=day_month_year,
        date=date_format,
        clip=clip,
        pluralize=defaultfilters.pluralize,
        truncatechars=defaultfilters.truncatechars,
        linebreaksbr=defaultfilters.linebreaksbr,
    )
    return env

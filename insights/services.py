"""Conversions: where a new subscription came from, and its count once it is confirmed."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from articles.models import Article

from .models import ArticleDay, SignupOrigin
from .upserts import _upsert


def signup_origin_record(*, subscriber, source: str, referrer: str) -> SignupOrigin | None:
    """Store, with a new subscription, the article whose form it came from and the site that sent the reader."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(source) if source else None
    except Resolver404:
        match = None
    article = None
    if match is not None and match.view_name == "articles:detail":
        article = Article.objects.published().filter(slug=match.kwargs["slug"]).first()
    if article is None and not referrer:
        return None
    return SignupOrigin.objects.get_or_create(
        subscriber=subscriber, defaults={"article": article, "referrer": referrer[:120]}
    )[0]


def signup_confirmed_count(*, subscriber, day: date | None = None) -> bool:
    """Count a confirmed subscriber for the article it came from, once per subscription. Returns whether it counted."""
    day = day or timezone.localdate()
    with transaction.atomic():
        claimed = SignupOrigin.objects.filter(
            subscriber=subscriber, counted_on__isnull=True, article__isnull=False
        ).update(counted_on=day)
        if not claimed:
            return False
        article_id = SignupOrigin.objects.values_list("article_id", flat=True).get(subscriber=subscriber)
        _upsert(ArticleDay, ("day", "article_id"), add=("signups",), rows=[(day, article_id, 1)])
    return True

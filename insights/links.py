"""Digest links that count a click per edition and article: signed, so nobody can forge or redirect them."""

from django.core import signing
from django.urls import reverse

from newsletter.emails import absolute

SALT = "insights.digest-link"


def digest_article_url(*, digest_id: int, article_id: int) -> str:
    """The absolute address a digest's link to an article goes through (names no subscriber)."""
    token = signing.Signer(salt=SALT).sign(f"{digest_id}.{article_id}")
    return absolute(reverse("insights:digest_link", kwargs={"token": token}))


def digest_link_read(token: str) -> tuple[int, int] | None:
    """(digest id, article id) from a link's token, or None when it was not made here."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
        digest_id, article_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return digest_id, article_id

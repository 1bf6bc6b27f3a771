"""Digest links that count a click per edition and article: signed, so nobody can forge or redirect them.

A link reads /insights/digest/<edition>/articles/<slug>/?s=<signature>: the reader can see
which article it opens, and it names no subscriber.
"""

from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from core.links import absolute_url

SALT = "insights.digest-link"


def _signature(digest_id: int, slug: str) -> str:
    return signing.Signer(salt=SALT).signature(f"{digest_id}/{slug}")


def digest_article_url(*, digest_id: int, slug: str) -> str:
    """The absolute address a digest's link to an article goes through."""
    path = reverse("insights:digest_link", kwargs={"digest_id": digest_id, "slug": slug})
    return absolute_url(f"{path}?s={_signature(digest_id, slug)}")


def digest_link_valid(*, digest_id: int, slug: str, signature: str) -> bool:
    return constant_time_compare(_signature(digest_id, slug), signature)

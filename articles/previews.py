"""Preview links: a draft or scheduled article for whoever has the link.

A token names a PreviewLink row and the moment it expires, signed with the
site's secret and a salt of its own (as newsletter/tokens.py does), so it
cannot be forged, altered or replayed as another kind of token. The token is
the same each time it is worked out from its row, so the admin can show a
link again; the row says whether it was revoked. Expiry is checked twice: the
signed moment (a token outlives no change made to its row) and the row itself.
"""

from datetime import UTC, datetime

from django.core import signing
from django.utils import timezone

from .models import PreviewLink

SALT = "articles.preview"
DEFAULT_DAYS = 14
MAX_DAYS = 90
# Our tokens are some 30 characters; anything far longer is not ours.
MAX_TOKEN_LENGTH = 200


class PreviewInvalid(Exception):
    """Not one of our links (tampered, truncated, made up): answered 404."""


class PreviewGone(Exception):
    """A genuine link that no longer opens its article (expired, revoked): answered 410."""


def preview_token(link: PreviewLink) -> str:
    return signing.Signer(salt=SALT).sign_object([link.pk, int(link.expires_at.timestamp())], compress=False)


def preview_link_read(token: str) -> PreviewLink:
    """The active link the token names, with its article and author. Raises
    PreviewInvalid or PreviewGone."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise PreviewInvalid("This preview link is not valid.")
    try:
        pk, until = signing.Signer(salt=SALT).unsign_object(token)
        if type(pk) is not int or type(until) is not int:
            raise ValueError("not a preview token")
        expires_at = datetime.fromtimestamp(until, tz=UTC)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError, OverflowError, OSError):
        raise PreviewInvalid("This preview link is not valid.") from None
    link = PreviewLink.objects.select_related("article__author").filter(pk=pk).first()
    if link is None or int(link.expires_at.timestamp()) != until:
        # Deleted with its article, or a link whose expiry was changed since: not this token's.
        raise PreviewGone("This preview link no longer works.")
    if link.revoked_at is not None:
        raise PreviewGone("This preview link was revoked.")
    if expires_at <= timezone.now() or not link.is_active:
        raise PreviewGone("This preview link has expired.")
    return link

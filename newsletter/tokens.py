"""Signed, expiring tokens for the links in our mails.

A token carries a subscriber's id and what it may be used for, never an email
address; it is signed with the site's secret and a salt per purpose, so a
confirmation token can't be replayed as an unsubscribe token.
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.core import signing

from .models import Subscriber


class Purpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"


# Confirmation is a one-off; unsubscribe and preferences links live in mails a
# reader may open months later, and must still work then.
MAX_AGE = {
    Purpose.CONFIRM: timedelta(days=7),
    Purpose.UNSUBSCRIBE: timedelta(days=400),
    Purpose.PREFERENCES: timedelta(days=400),
}


class TokenExpired(Exception):
    """The link was genuine but is too old; the id is kept so a new one can be offered."""

    def __init__(self, subscriber_id: int):
        super().__init__("This link has expired.")
        self.subscriber_id = subscriber_id


class TokenInvalid(Exception):
    pass


# Our tokens are some 40 characters; anything far longer is not ours and is not worth decoding.
MAX_TOKEN_LENGTH = 200


def make_token(subscriber: Subscriber, purpose: Purpose) -> str:
    return signing.dumps(subscriber.pk, salt=f"newsletter.{purpose}", compress=False)


def read_token(token: str, purpose: Purpose) -> int:
    """The subscriber id the token names. Raises TokenExpired or TokenInvalid."""
    salt = f"newsletter.{purpose}"
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid("This link is not valid.")
    try:
        try:
            return _subscriber_id(signing.loads(token, salt=salt, max_age=MAX_AGE[purpose]))
        except signing.SignatureExpired:
            raise TokenExpired(_subscriber_id(signing.loads(token, salt=salt))) from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise TokenInvalid("This link is not valid.") from None


def _subscriber_id(value: object) -> int:
    if type(value) is not int or value < 1:
        raise ValueError("not a subscriber id")
    return value


def token_issued_at(token: str) -> datetime | None:
    """When a token was made (to the second), or None if it is not one of ours."""
    try:
        _value, timestamp, _signature = token.rsplit(":", 2)
        return datetime.fromtimestamp(signing.b62_decode(timestamp), tz=UTC)
    except (ValueError, IndexError, OverflowError, OSError):
        return None

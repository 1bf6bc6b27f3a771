from datetime import timedelta

import pytest
import time_machine
from django.core import signing

from newsletter.tokens import Purpose, TokenExpired, TokenInvalid, make_token, read_token

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_token_names_the_subscriber_and_no_address():
    subscriber = SubscriberFactory(email="secret.person@example.com")
    token = make_token(subscriber, Purpose.CONFIRM)
    assert read_token(token, Purpose.CONFIRM) == subscriber.pk
    decoded = signing.b64_decode(token.split(":")[0].encode()).decode()
    assert "secret" not in token and "example" not in decoded and "@" not in decoded


def test_confirm_token_expires_after_seven_days():
    subscriber = SubscriberFactory()
    with time_machine.travel("2026-05-01 12:00:00Z", tick=False) as traveller:
        token = make_token(subscriber, Purpose.CONFIRM)
        traveller.shift(timedelta(days=7) - timedelta(seconds=1))
        assert read_token(token, Purpose.CONFIRM) == subscriber.pk
        traveller.shift(timedelta(seconds=2))
        with pytest.raises(TokenExpired) as expired:
            read_token(token, Purpose.CONFIRM)
        assert expired.value.subscriber_id == subscriber.pk


def test_unsubscribe_token_outlives_a_year():
    subscriber = SubscriberFactory()
    with time_machine.travel("2026-05-01 12:00:00Z", tick=False) as traveller:
        token = make_token(subscriber, Purpose.UNSUBSCRIBE)
        traveller.shift(timedelta(days=365))
        assert read_token(token, Purpose.UNSUBSCRIBE) == subscriber.pk


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [(a, b) for a in Purpose for b in Purpose if a != b],
)
def test_a_token_for_one_purpose_is_refused_for_another(made_for, used_for):
    token = make_token(SubscriberFactory(), made_for)
    with pytest.raises(TokenInvalid):
        read_token(token, used_for)


def tampered(token: str) -> list[str]:
    value, timestamp, signature = token.split(":")
    other_value = signing.b64_encode(b"2").decode()
    return [
        f"{other_value}:{timestamp}:{signature}",  # another subscriber's id
        f"{value}:{timestamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{value}:{timestamp}",
        token + "x",
        "",
        "x" * 5000,
        "é:ü:ß",
        "%00",
        "\x00\x00",
        signing.dumps("not-an-id", salt="newsletter.confirm"),
        signing.dumps(-1, salt="newsletter.confirm"),
        signing.dumps([1], salt="newsletter.confirm"),
        signing.dumps(1, salt="newsletter.confirm", key="another-secret-key-entirely"),
    ]


def test_tampered_tokens_are_refused():
    subscriber = SubscriberFactory()
    for bad in tampered(make_token(subscriber, Purpose.CONFIRM)):
        with pytest.raises(TokenInvalid):
            read_token(bad, Purpose.CONFIRM)


def test_token_issued_at():
    from datetime import UTC, datetime

    from newsletter.tokens import token_issued_at

    with time_machine.travel("2026-05-01 12:00:00.7Z", tick=False):
        token = make_token(SubscriberFactory(), Purpose.CONFIRM)
    assert token_issued_at(token) == datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    for bad in ["", "x", "a:b", "a:" + "z" * 40 + ":c", "::"]:
        assert token_issued_at(bad) is None

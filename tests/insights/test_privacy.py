"""After a day of traffic: no address, no user agent, and no visitor hash or salt older than its day, anywhere."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from insights import counting
from insights.flushing import counters_flush
from insights.models import ArticleDay, DailySalt, SiteDay, VisitorDay
from tests.articles.factories import ArticleFactory

from .conftest import DESKTOP_UA, PHONE_UA, beacon, redis_keys

pytestmark = pytest.mark.django_db

READERS = [
    ("198.51.100.7", DESKTOP_UA),
    ("198.51.100.7", PHONE_UA),
    ("2001:db8::42", DESKTOP_UA),
    ("203.0.113.5", PHONE_UA),
]
SECRETS = [b"198.51.100.7", b"2001:db8::42", b"203.0.113.5", b"Mozilla", b"iPhone", b"Chrome/131", b"X11"]


def _every_stored_value() -> list[bytes]:
    values = []
    for model in apps.get_app_config("insights").get_models():
        for row in model.objects.values():
            for value in row.values():
                values.append(bytes(value) if isinstance(value, memoryview | bytes) else str(value).encode())
    return values


def _redis_contents() -> list[bytes]:
    client = counting.redis_client()
    contents = []
    for key in redis_keys():
        contents.append(key)
        kind = client.type(key)
        if kind == b"hash":
            for field, value in client.hgetall(key).items():
                contents += [field, value]
        elif kind == b"set":
            contents += list(client.smembers(key))
        else:
            contents.append(client.get(key) or b"")
    return contents


def _day(offset: int) -> datetime:
    # Days ahead of the real clock: Redis expires keys by its own clock, which no test can move.
    base = timezone.localdate() + timedelta(days=3 + offset)
    return timezone.make_aware(datetime.combine(base, time(10, 0)))


def test_a_day_of_traffic_leaves_no_address_user_agent_or_lasting_identifier(client, counting_mode):
    article = ArticleFactory()
    with time_machine.travel(_day(0), tick=False):
        day = timezone.localdate()
        for ip, user_agent in READERS:
            for _ in range(2):
                beacon(client, article.get_absolute_url(), ip=ip, user_agent=user_agent, referrer="https://t.co/x")
        stored = _every_stored_value() + (_redis_contents() if counting_mode == "redis" else [])
        assert stored  # there was something to inspect
        for secret in SECRETS:
            assert not any(secret in value for value in stored), secret
        if counting_mode == "database":
            # Today's hashes, for today only: 4 visitors on the article, 4 on the site.
            assert set(VisitorDay.objects.values_list("day", flat=True)) == {day}
            assert VisitorDay.objects.count() == 8
            assert list(DailySalt.objects.values_list("day", flat=True)) == [day]
        else:
            salt_key = counting._key("salt", day.isoformat())
            assert counting.redis_client().expiretime(salt_key) == counting._end_of_day(day)
            assert not VisitorDay.objects.exists() and not DailySalt.objects.exists()
        counters_flush()
        for secret in SECRETS:
            assert not any(secret in value for value in _every_stored_value()), secret

    with time_machine.travel(_day(1), tick=False):
        counters_flush()  # the next day's first flush
        assert not VisitorDay.objects.exists()
        assert not DailySalt.objects.exists()
        if counting_mode == "redis":
            # Only the old salt's key is left, expiring at its day's end by Redis's own clock.
            assert redis_keys() == [counting._key("salt", day.isoformat()).encode()]
        # The aggregates stay.
        assert (ArticleDay.objects.get(day=day).views, ArticleDay.objects.get(day=day).visitors) == (8, 4)
        assert SiteDay.objects.get(day=day).visitors == 4


def test_a_new_day_gets_a_new_salt_and_new_visitors(client, counting_mode):
    article = ArticleFactory()
    with time_machine.travel(_day(0), tick=False):
        first = counting.daily_salt(timezone.localdate())
        beacon(client, article.get_absolute_url())
        counters_flush()
    with time_machine.travel(_day(1), tick=False):
        second = counting.daily_salt(timezone.localdate())
        beacon(client, article.get_absolute_url())
        counters_flush()
    assert first != second
    assert list(ArticleDay.objects.order_by("day").values_list("views", "visitors")) == [(1, 1), (1, 1)]

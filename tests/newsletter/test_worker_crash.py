"""A Celery worker SIGKILLed during a burst of 200 signups, on real services (PostgreSQL,
Redis, worker and beat processes, an SMTP sink): every address gets exactly one
confirmation, soon after a replacement worker starts, and redelivered tasks send nothing."""

import time
from collections import Counter

import pytest
import redis
from django.conf import settings
from django.test import Client

from newsletter.models import SignupRequest, Subscriber, SubscriberMail
from newsletter.tasks import subscriber_mail_send_task
from tests.integration import ON_REAL_SERVICES, start_worker, stop_celery

pytestmark = ON_REAL_SERVICES

SIGNUPS = 200
HELD = 3  # the worker is killed while sending this address's confirmation, mid-burst
# Production hands back a mail claimed 120 s ago and sweeps every 30 s (all mailed within
# five minutes of a replacement worker starting); the test waits less.
FAST_SWEEP = {
    "NEWSLETTER_SWEEP_SECONDS": "1",
    "NEWSLETTER_QUEUE_STALE_SECONDS": "30",
    "NEWSLETTER_CLAIM_TIMEOUT_SECONDS": "8",
    # One connection per worker, not one per task (each is stopped before the database is dropped).
    "DATABASE_CONN_MAX_AGE": "600",
}
WITHIN = 5 * 60


@pytest.fixture
def celery_env():  # overrides the fixture of tests.integration
    return FAST_SWEEP


@pytest.fixture
def clean_broker():
    from vivold.celery import app

    app.control.purge()
    yield
    # The killed worker's message stays unacknowledged in Redis for the visibility timeout.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def queue_length() -> int:
    return redis.Redis.from_url(settings.REDIS_URL).llen("celery")


def confirmations(sink) -> Counter:
    return Counter(recipient for _sender, recipients in sink.envelopes for recipient in recipients)


def test_a_worker_killed_during_a_burst_of_signups_loses_and_repeats_no_mail(
    request, smtp_sink, celery_beat, clean_broker, settings
):
    settings.RATE_LIMITS = {"subscribe-address": (1000, 3600), "subscribe-ip": (1000, 3600)}
    addresses = [f"burst{n}@example.com" for n in range(SIGNUPS)]
    smtp_sink.hold = {addresses[HELD]}
    first = start_worker(request, smtp_sink, FAST_SWEEP, name="doomed")
    killed_after = None
    try:
        for n, address in enumerate(addresses):
            response = Client(REMOTE_ADDR=f"10.1.{n // 250}.{n % 250}").post(
                "/newsletter/subscribe/", {"email": address}, HTTP_ACCEPT="application/json"
            )
            assert response.status_code == 200
            if killed_after is None and smtp_sink.holding.is_set():
                stop_celery(first, kill=True)  # SIGKILL, mid-send
                killed_after = n + 1
        if killed_after is None:
            assert smtp_sink.holding.wait(60), "the worker never reached the held address"
            stop_celery(first, kill=True)
            killed_after = SIGNUPS
    finally:
        stop_celery(first, kill=True)
        smtp_sink.release()
    assert killed_after < SIGNUPS, "the burst was over before the kill"
    assert SubscriberMail.objects.filter(status="sending").count() == 1  # what the dead worker held

    replacement = start_worker(request, smtp_sink, FAST_SWEEP, name="replacement")
    try:
        deadline = time.monotonic() + WITHIN
        while len(confirmations(smtp_sink)) < SIGNUPS:
            assert time.monotonic() < deadline, f"{len(confirmations(smtp_sink))} of {SIGNUPS} mailed in {WITHIN} s"
            time.sleep(0.5)
        while SubscriberMail.objects.exclude(status="sent").exists() or SignupRequest.objects.exists():
            assert time.monotonic() < deadline, "mails not marked sent"
            time.sleep(0.2)
        assert confirmations(smtp_sink) == Counter(addresses)
        held = SubscriberMail.objects.get(subscriber__email=addresses[HELD])
        assert held.attempts == 2  # the dead worker's claim, then the replacement's

        # The broker hands every task out again (sent, never acknowledged): nothing is sent twice.
        for mail_id in SubscriberMail.objects.values_list("pk", flat=True):
            subscriber_mail_send_task.delay(mail_id)
        while queue_length():
            assert time.monotonic() < deadline, "the replayed tasks were not consumed"
            time.sleep(0.2)
        time.sleep(1)  # the last one taken is done
    finally:
        stop_celery(replacement)
    assert confirmations(smtp_sink) == Counter(addresses)
    assert Subscriber.objects.count() == SIGNUPS
    assert SubscriberMail.objects.filter(status="sent").count() == SIGNUPS

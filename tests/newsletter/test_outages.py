"""Redis down or hung, on real services: a redis-server of the test's own (stopped, started
again, SIGSTOPped), a Celery worker and beat, PostgreSQL and an SMTP sink. The reader gets
the neutral answer, the sign-in page works, and the confirmation arrives once Redis is back."""

import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from newsletter.models import SignupRequest, Subscriber
from newsletter.views import NEUTRAL_ANSWER
from tests.integration import ON_REAL_SERVICES, broker_at, celery_worker  # noqa: F401 - celery_worker is a fixture

pytestmark = ON_REAL_SERVICES

PASSWORD = "a long and careful passphrase"
# Production waits 60 s before queueing again what lost its task, sweeping every 30 s (a signup
# made during the outage is mailed within 90 s of Redis returning); the test waits less.
FAST_SWEEP = {"NEWSLETTER_SWEEP_SECONDS": "1", "NEWSLETTER_QUEUE_STALE_SECONDS": "2"}
BACK_WITHIN = 120  # the target: mailed within two minutes of Redis coming back


@pytest.fixture
def celery_env():  # overrides the fixture of tests.integration
    return FAST_SWEEP


@pytest.fixture
def own_redis(redis_server, settings):
    """This process's cache and broker on the test's own Redis, as REDIS_URL would set them."""
    url = redis_server.url()
    options = settings.CACHES["default"]["OPTIONS"]
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "vivold", "OPTIONS": options}
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with broker_at(url):
        yield redis_server


def answer(call, *, guard: float = 60):
    """Run a request in a thread so that a hang fails the test instead of stalling the suite."""
    result: list = []

    def run() -> None:
        try:
            result.append(call())
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(guard)
    assert result, f"no answer within {guard} s"
    return result[0]


def sign_up(address: str):
    client = Client(raise_request_exception=False)
    return client.post("/newsletter/subscribe/", {"email": address}, HTTP_ACCEPT="application/json")


def check_sign_in_works(editor: User) -> None:
    client = Client(raise_request_exception=False)
    page = answer(lambda: client.get(reverse("admin:login")))
    assert page.status_code == 200, page.content[:500]
    posted = answer(
        lambda: client.post(
            reverse("admin:login"),
            {"username": "editor", "password": PASSWORD, "next": reverse("admin:index")},
        )
    )
    assert posted.status_code == 302, posted.content[:500]
    assert client.session["_auth_user_id"] == str(editor.pk)


def eventually(check, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time given"
        time.sleep(0.1)


def confirmations_to(sink, address: str) -> int:
    return sum(1 for m in sink.messages if m["To"] == address and "Confirm" in m["Subject"])


def test_a_signup_made_while_redis_is_down_is_mailed_once_redis_is_back(
    own_redis,
    celery_worker,  # noqa: F811
    celery_beat,
    smtp_sink,
):
    editor = User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    own_redis.stop()

    response = answer(lambda: sign_up("while.down@example.com"))
    assert response.status_code == 200 and response.json()["message"] == NEUTRAL_ANSWER
    # Nothing is stamped as sent: the request waits in the database for its task.
    assert SignupRequest.objects.filter(email="while.down@example.com").exists()
    assert not Subscriber.objects.filter(confirmation_sent_at__isnull=False).exists()
    check_sign_in_works(editor)  # the lock's records are in PostgreSQL, not in Redis

    own_redis.start()
    smtp_sink.wait_for(lambda m: m["To"] == "while.down@example.com", timeout=BACK_WITHIN)
    subscriber = Subscriber.objects.get(email="while.down@example.com")
    assert subscriber.status == Subscriber.Status.PENDING
    eventually(lambda: subscriber.mails.get().status == "sent")  # marked once the server took it
    assert not SignupRequest.objects.exists()
    # Asking again within the hour sends nothing more.
    assert sign_up("while.down@example.com").status_code == 200
    eventually(lambda: not SignupRequest.objects.exists())  # the worker has handled it
    assert subscriber.mails.count() == 1
    assert confirmations_to(smtp_sink, "while.down@example.com") == 1


def test_a_hung_redis_neither_hangs_the_site_nor_loses_a_signup(
    own_redis,
    celery_worker,  # noqa: F811
    celery_beat,
    smtp_sink,
):
    editor = User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    own_redis.hang()
    try:
        response = answer(lambda: sign_up("while.hung@example.com"))
        assert response.status_code == 200 and response.json()["message"] == NEUTRAL_ANSWER
        home = answer(lambda: Client(raise_request_exception=False).get("/"))
        assert home.status_code == 200
        check_sign_in_works(editor)
        assert not Subscriber.objects.exists()
    finally:
        own_redis.resume()
    smtp_sink.wait_for(lambda m: m["To"] == "while.hung@example.com", timeout=BACK_WITHIN)
    assert confirmations_to(smtp_sink, "while.hung@example.com") == 1

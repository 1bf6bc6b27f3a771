"""What the logs say while Redis is down or a client names a host we don't serve: one line at
WARNING per request, not a traceback at ERROR; the redactor hides addresses and nothing else; and
signing in with a refused `next` lands on the admin."""

import io
import json
import logging
from contextlib import contextmanager

import pytest
import redis
from django.contrib.auth.models import User
from django.urls import reverse

from core import ratelimit
from core.observability import redact
from tests.integration import free_port


@contextmanager
def console_output():
    """What the site's own console handler (settings.LOGGING) writes, formatted as in production."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def redis_down(settings):  # noqa: PT004 - used for its effect
    """The cache pointed at a Redis port nobody listens on."""
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }


@pytest.mark.django_db
def test_a_bad_host_is_one_warning_line_without_a_traceback(client, settings):
    settings.DEBUG = False
    with console_output() as output:
        response = client.get("/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    lines = [line for line in json_lines(output.getvalue()) if line["logger"] == "django.security.DisallowedHost"]
    assert len(lines) == 1
    (line,) = lines
    assert line["level"] == "WARNING"
    assert "attacker.example" in line["message"]
    assert "exception" not in line and "Traceback" not in output.getvalue()


def test_a_redis_outage_is_one_warning_line_per_request(redis_down):
    with console_output() as output:
        assert ratelimit.hit("search-ip", "203.0.113.9") is True  # a cache outage turns nobody away
    (line,) = json_lines(output.getvalue())
    assert line["level"] == "WARNING"
    assert "ConnectionError" in line["message"]
    assert "exception" not in line and len(output.getvalue()) < 600


def test_an_error_caused_by_the_outage_is_shortened_too():
    client = redis.Redis(port=free_port(), socket_connect_timeout=1)
    with console_output() as output:
        try:
            client.ping()
        except redis.ConnectionError:
            try:
                raise RuntimeError("could not count the request")
            except RuntimeError:
                logging.getLogger("django.request").exception("Internal Server Error: /admin/login/")
    (line,) = json_lines(output.getvalue())
    assert line["level"] == "WARNING"
    assert line["message"].startswith("Internal Server Error: /admin/login/ (ConnectionError: ")
    assert "exception" not in line


def test_a_real_bug_keeps_its_traceback_and_level():
    with console_output() as output:
        try:
            {}["missing"]
        except KeyError:
            logging.getLogger("django.request").exception("Internal Server Error: /")
    (line,) = json_lines(output.getvalue())
    assert line["level"] == "ERROR"
    assert "Traceback" in line["exception"] and "KeyError" in line["exception"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Celery prints its broker URL with the password masked: it is not an address.
        ("Connected to redis://:**@127.0.0.1:6379/4", "Connected to redis://:**@127.0.0.1:6379/4"),
        ("redis://:**@redis.internal.example:6379/0 down", "redis://:**@redis.internal.example:6379/0 down"),
        ("amqp://guest:**@rabbit:5672//", "amqp://guest:**@rabbit:5672//"),
        ("mail to jane.doe+news@example.org failed", "mail to <email> failed"),
        ("<jane@mail.example.co.uk>, bob@example.com.", "<<email>>, <email>."),
        ("mailto:jane@example.org", "mailto:<email>"),
        ("root@10.0.0.7 signed in", "root@10.0.0.7 signed in"),
    ],
)
def test_the_redactor_hides_addresses_and_nothing_else(text, expected):
    assert redact(text) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("refused", ["https://attacker.example/", "//attacker.example/admin/", "http:///x"])
def test_a_refused_next_after_sign_in_lands_on_the_admin(client, settings, refused):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_superuser("editor", "editor@example.org", "a long and careful passphrase")
    response = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": "a long and careful passphrase", "next": refused},
        REMOTE_ADDR="203.0.113.8",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200

"""The admin sign-in guard: repeated failures lock the address (and, at a
higher count, the username) out for a while, whatever the password."""

import logging
import time

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a long and careful passphrase"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Dozens of sign-ins per test: the production hasher's cost is not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor():
    return User.objects.create_superuser("editor", "editor@example.org", PASSWORD)


def sign_in(client, password: str, *, username: str = "editor", ip: str = "203.0.113.7", **headers):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=ip,
        headers=headers,
    )


def test_failures_from_one_address_lock_it_out_even_with_the_right_password(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = sign_in(client, "wrong guess")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.LOGIN_LOCKOUT_SECONDS
    assert "_auth_user_id" not in client.session
    # Other usernames from that address are refused too.
    assert sign_in(client, "whatever", username="someone-else").status_code == 429


def test_one_failure_less_than_the_limit_still_lets_the_editor_in(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(client, "wrong guess")
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_another_address_is_not_locked_by_a_locked_one(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "wrong guess", ip="198.51.100.1")
    assert sign_in(client, PASSWORD, ip="198.51.100.1").status_code == 429
    assert sign_in(client, PASSWORD, ip="198.51.100.2").status_code == 302


def test_the_lock_lifts_after_the_lockout_period(client, editor, settings):
    # Real seconds: with REDIS_URL the cache's own clock (Redis's TTL) decides.
    settings.LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "wrong guess")
    assert sign_in(client, PASSWORD).status_code == 429
    time.sleep(1.2)
    assert sign_in(client, PASSWORD).status_code == 302


def test_a_username_guessed_from_many_addresses_locks(client, editor, settings):
    from vivold.security import USERNAME_FACTOR

    for n in range(settings.LOGIN_FAILURE_LIMIT * USERNAME_FACTOR):
        sign_in(client, "wrong guess", ip=f"192.0.2.{n + 1}")
    # A fresh address, the right password: the username itself is locked.
    assert sign_in(client, PASSWORD, ip="203.0.113.200").status_code == 429
    # Upper case or padded, it is the same username.
    assert sign_in(client, PASSWORD, username=" EDITOR ", ip="203.0.113.201").status_code == 429


def test_a_forged_forwarded_header_does_not_dodge_the_lock_without_a_proxy(client, editor, settings):
    assert not settings.BEHIND_PROXY
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "wrong guess", **{"X-Forwarded-For": f"10.0.0.{n}"})
    assert sign_in(client, PASSWORD, **{"X-Forwarded-For": "10.0.0.99"}).status_code == 429


def test_behind_a_proxy_the_address_the_proxy_saw_counts(client, editor, settings):
    settings.BEHIND_PROXY = True
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        # A client-supplied first entry changes; the proxy's last entry doesn't.
        sign_in(client, "wrong guess", ip="10.0.0.2", **{"X-Forwarded-For": "1.2.3.4, 198.51.100.9"})
    assert sign_in(client, PASSWORD, ip="10.0.0.2", **{"X-Forwarded-For": "198.51.100.9"}).status_code == 429
    assert sign_in(client, PASSWORD, ip="10.0.0.2", **{"X-Forwarded-For": "198.51.100.10"}).status_code == 302


def test_a_successful_sign_in_clears_the_username_count(client, editor, settings):
    from vivold.security import USERNAME_FACTOR

    limit = settings.LOGIN_FAILURE_LIMIT * USERNAME_FACTOR
    for n in range(limit - 1):
        sign_in(client, "wrong guess", ip=f"192.0.2.{n + 1}")
    assert sign_in(client, PASSWORD, ip="203.0.113.50").status_code == 302
    client.logout()
    sign_in(client, "wrong guess", ip="203.0.113.51")
    assert sign_in(client, PASSWORD, ip="203.0.113.52").status_code == 302


def test_a_lockout_is_logged_once_without_the_username(client, editor, settings, caplog):
    caplog.set_level(logging.WARNING, logger="vivold.security")
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 2):
        sign_in(client, "wrong guess", ip="198.51.100.77")
    messages = [r.getMessage() for r in caplog.records if r.name == "vivold.security"]
    assert messages == [
        f"admin sign-in locked for {settings.LOGIN_LOCKOUT_SECONDS} seconds: login-guard:ip:198.51.100.77"
    ]

"""The admin sign-in lock (django-axes): failures lock the address they come from (an IPv6
client by its /64) out for a while, whatever the password and however the username is
spelled; nobody can lock the real admin out of another address."""

import logging
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a long and careful passphrase"
FULL_WIDTH_ADMIN = "\uff41dmin"  # ａdmin: NFKC makes it "admin", as Django's login form does


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Dozens of sign-ins per test: the production hasher's cost is not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor():
    return User.objects.create_superuser("editor", "editor@example.org", PASSWORD)


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("admin", "admin@example.org", PASSWORD)


def sign_in(client, password: str, *, username: str = "editor", ip: str = "203.0.113.7", **headers):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=ip,
        headers=headers,
    )


def signed_in(client, user) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


def test_failures_from_one_address_lock_it_out_even_with_the_right_password(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        response = sign_in(client, "wrong guess")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    assert sign_in(client, "wrong guess").status_code == 429  # the failure that reaches the limit
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.LOGIN_LOCKOUT_SECONDS
    assert "editor" not in locked.content.decode()
    assert not signed_in(client, editor)
    # Other usernames from that address are refused too.
    assert sign_in(client, "whatever", username="someone-else").status_code == 429


def test_one_failure_less_than_the_limit_still_lets_the_editor_in(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(client, "wrong guess")
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client, editor)


def test_a_look_alike_username_with_the_right_password_is_refused_while_admin_is_locked(client, admin_user, settings):
    # Five guesses at "admin" from addresses of one IPv6 /64: one client, so locked.
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "wrong guess", username="admin", ip=f"2001:db8:7:1::{n + 1:x}")
    for spelling in (FULL_WIDTH_ADMIN, "ADMIN", "admin"):
        response = sign_in(client, PASSWORD, username=spelling, ip="2001:db8:7:1::beef")
        assert response.status_code == 429, spelling
    assert not signed_in(client, admin_user)
    # The next /64 is another client.
    assert sign_in(client, PASSWORD, username=FULL_WIDTH_ADMIN, ip="2001:db8:7:2::1").status_code == 302
    assert signed_in(client, admin_user)


def test_from_one_client_at_most_the_limit_of_failures_whatever_the_spelling(client, admin_user, settings):
    assert settings.LOGIN_FAILURE_LIMIT <= 6
    spellings = ["admin", FULL_WIDTH_ADMIN, "Admin", " ADMIN ", "\uff21\uff24\uff2d\uff29\uff2e", "root", "editor"]
    answers = [
        sign_in(client, "wrong guess", username=name, ip=f"2001:db8:9:9::{n + 1:x}").status_code
        for n, name in enumerate(spellings * 2)
    ]
    checked = settings.LOGIN_FAILURE_LIMIT - 1  # the limit-th failure is answered with the lock page
    assert answers == [200] * checked + [429] * (len(answers) - checked)
    from axes.models import AccessAttempt

    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == settings.LOGIN_FAILURE_LIMIT
    # Every spelling of "admin" was counted as one name.
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"admin"}


def test_failures_from_four_addresses_never_lock_the_real_admin_out_of_a_fresh_address(client, admin_user, settings):
    for ip in ("192.0.2.1", "192.0.2.2", "198.51.100.3", "2001:db8:4::1"):
        for spelling in ("admin", FULL_WIDTH_ADMIN, "Admin", "admin", "ADMIN"):
            sign_in(client, "wrong guess", username=spelling, ip=ip)
        assert sign_in(client, PASSWORD, username="admin", ip=ip).status_code == 429
    response = sign_in(client, PASSWORD, username="admin", ip="203.0.113.99")
    assert response.status_code == 302
    assert signed_in(client, admin_user)


def test_another_address_is_not_locked_by_a_locked_one(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "wrong guess", ip="198.51.100.1")
    assert sign_in(client, PASSWORD, ip="198.51.100.1").status_code == 429
    assert sign_in(client, PASSWORD, ip="198.51.100.2").status_code == 302


def test_the_lock_lifts_after_the_lockout_period(client, editor, settings):
    # The records are in the database and every time in them is Django's clock: time_machine moves it.
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            sign_in(client, "wrong guess")
        clock.shift(settings.LOGIN_LOCKOUT_SECONDS - 1)
        assert sign_in(client, PASSWORD).status_code == 429
        clock.shift(2)
        assert sign_in(client, PASSWORD).status_code == 302


def test_attempts_refused_while_locked_do_not_renew_the_lock(client, editor, settings):
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            sign_in(client, "wrong guess")
        for _ in range(3):
            clock.shift(settings.LOGIN_LOCKOUT_SECONDS // 4)
            assert sign_in(client, "still guessing").status_code == 429
        clock.shift(settings.LOGIN_LOCKOUT_SECONDS // 4 + 1)  # one window after the last checked failure
        assert sign_in(client, PASSWORD).status_code == 302


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


def test_signing_in_with_ones_own_account_does_not_clear_the_address_count(client, editor, settings):
    User.objects.create_user("guesser", password=PASSWORD, is_staff=True)
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(client, "wrong guess", username="editor", ip="198.51.100.40")
    assert sign_in(client, PASSWORD, username="guesser", ip="198.51.100.40").status_code == 302
    client.logout()
    assert sign_in(client, "wrong guess", username="editor", ip="198.51.100.40").status_code == 429


def test_a_lockout_is_logged_without_the_username_or_address(client, editor, settings, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 2):
        sign_in(client, "wrong guess", ip="198.51.100.77")
    locking = [r.getMessage() for r in caplog.records if "Locking out" in r.getMessage()]
    assert len(locking) == 1
    assert "editor" not in caplog.text and "198.51.100.77" not in caplog.text

"""Mail through a provider: EMAIL_URL=anymail://<provider> and ANYMAIL_*
variables configure it; the provider's bounce and complaint webhooks suppress
the subscriber. The payloads follow the providers' documented webhook formats."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse

from newsletter.models import Subscriber

from .helpers import production_env, run_python

pytestmark = pytest.mark.urls("tests.prod.urls")

SIGNING_KEY = "mailgun-signing-key-for-tests"
WEBHOOK_SECRET = "vivold-hooks:s3cret-passw0rd"


@pytest.fixture(autouse=True)
def _anymail(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def subscriber(db):
    return Subscriber.objects.create(email="Reader@Example.org", status=Subscriber.Status.ACTIVE)


def auth(secret: str = WEBHOOK_SECRET) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def mailgun_event(recipient: str, event: str, *, severity: str | None = None, key: str = SIGNING_KEY) -> dict:
    """A Mailgun tracking webhook body (JSON, signed as Mailgun signs it)."""
    timestamp = str(int(time.time()))
    token = hashlib.sha256(f"{recipient}{event}{time.time_ns()}".encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    event_data = {
        "event": event,
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": float(timestamp),
        "log-level": "error" if event == "failed" else "warn",
        "recipient": recipient,
        "recipient-domain": recipient.rpartition("@")[2],
        "tags": ["digest"],
        "user-variables": {},
        "envelope": {"sender": "insights@vivold.example.org", "transport": "smtp", "targets": recipient},
        "message": {
            "headers": {
                "to": recipient,
                "message-id": "20260101120000.1.ABCDEF@mg.vivold.example.org",
                "from": "Vivold Insights <insights@vivold.example.org>",
                "subject": "Your weekly digest",
            },
            "attachments": [],
            "size": 4096,
        },
    }
    if event == "failed":
        event_data.update(
            severity=severity or "permanent",
            reason="bounce",
            **{
                "delivery-status": {
                    "code": 550,
                    "attempt-no": 1,
                    "message": "5.1.1 The email account that you tried to reach does not exist.",
                    "description": "",
                    "tls": True,
                    "certificate-verified": True,
                    "session-seconds": 0.4,
                }
            },
        )
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event_data}


def post_mailgun(client, body: dict, headers: dict | None = None):
    return client.post(
        reverse("anymail:mailgun_tracking_webhook"),
        data=json.dumps(body),
        content_type="application/json",
        headers=auth() if headers is None else headers,
    )


def test_a_permanent_bounce_suppresses_the_subscriber(client, subscriber):
    response = post_mailgun(client, mailgun_event("reader@example.org", "failed"))
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUPPRESSED
    assert subscriber.suppressed_at is not None
    assert subscriber.hard_bounces == 1


def test_a_complaint_suppresses_the_subscriber(client, subscriber):
    assert post_mailgun(client, mailgun_event("READER@example.org", "complained")).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUPPRESSED
    assert subscriber.hard_bounces == 0


def test_a_replayed_bounce_changes_nothing_more(client, subscriber):
    body = mailgun_event("reader@example.org", "failed")
    post_mailgun(client, body)
    subscriber.refresh_from_db()
    first = subscriber.suppressed_at
    assert post_mailgun(client, body).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.suppressed_at == first and subscriber.hard_bounces == 1


def test_a_temporary_failure_or_a_delivery_leaves_the_subscriber_active(client, subscriber):
    post_mailgun(client, mailgun_event("reader@example.org", "failed", severity="temporary"))
    post_mailgun(client, mailgun_event("reader@example.org", "delivered"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_an_unsubscribe_at_the_provider_unsubscribes(client, subscriber):
    post_mailgun(client, mailgun_event("reader@example.org", "unsubscribed"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_an_unknown_address_is_answered_and_ignored(client, subscriber):
    assert post_mailgun(client, mailgun_event("stranger@example.org", "failed")).status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE


@pytest.mark.parametrize(
    "headers", [{}, auth("vivold-hooks:wrong"), auth("someone:else")], ids=["no-auth", "bad-password", "bad-user"]
)
def test_a_caller_without_the_shared_secret_is_refused(client, subscriber, headers):
    response = post_mailgun(client, mailgun_event("reader@example.org", "failed"), headers=headers)
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_a_forged_signature_is_refused(client, subscriber):
    response = post_mailgun(client, mailgun_event("reader@example.org", "failed", key="not-the-key"))
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def postmark_bounce(email: str, kind: str) -> dict:
    """A Postmark bounce webhook body."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "Tag": "digest",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 mailbox does not exist",
        "Email": email,
        "From": "insights@vivold.example.org",
        "BouncedAt": "2026-11-20T12:00:00Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Your weekly digest",
        "Content": "",
    }


@pytest.mark.parametrize(("kind", "suppressed"), [("HardBounce", True), ("SoftBounce", False)])
def test_postmark_hard_bounces_suppress_and_soft_ones_do_not(client, subscriber, kind, suppressed):
    response = client.post(
        reverse("anymail:postmark_tracking_webhook"),
        data=json.dumps(postmark_bounce("reader@example.org", kind)),
        content_type="application/json",
        headers=auth(),
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert (subscriber.status == Subscriber.Status.SUPPRESSED) is suppressed


PROVIDER_SETTINGS = """
import django, json
django.setup()
from django.conf import settings
from django.urls import resolve, Resolver404
try:
    resolve("/anymail/mailgun/tracking/")
    webhooks = True
except Resolver404:
    webhooks = False
print(json.dumps({"backend": settings.EMAIL_BACKEND, "anymail": settings.ANYMAIL, "webhooks": webhooks}))
"""


def test_email_url_and_anymail_variables_choose_the_provider(tmp_path):
    env = production_env(
        tmp_path,
        EMAIL_URL="anymail://mailgun",
        ANYMAIL_MAILGUN_API_KEY="key-123",
        ANYMAIL_MAILGUN_SENDER_DOMAIN="mg.vivold.example.org",
        ANYMAIL_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    result = run_python(PROVIDER_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["backend"] == "anymail.backends.mailgun.EmailBackend"
    assert answer["anymail"] == {
        "MAILGUN_API_KEY": "key-123",
        "MAILGUN_SENDER_DOMAIN": "mg.vivold.example.org",
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    assert answer["webhooks"] is True


def test_without_a_webhook_secret_there_is_no_webhook_and_smtp_is_the_default(tmp_path):
    result = run_python(PROVIDER_SETTINGS, production_env(tmp_path, EMAIL_URL="smtp+tls://u:p@smtp.example.org:587"))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert answer["webhooks"] is False


@pytest.mark.parametrize("url", ["anymail://", "anymail://../../etc", "anymail://mail-gun"])
def test_a_malformed_provider_stops_start_up_with_a_clear_message(tmp_path, url):
    result = run_python(PROVIDER_SETTINGS, production_env(tmp_path, EMAIL_URL=url))
    assert result.returncode != 0
    assert "name a django-anymail provider" in result.stderr

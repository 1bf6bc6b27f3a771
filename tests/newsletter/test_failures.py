"""When a service we lean on fails: the reader still gets an answer, nothing leaks into logs."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.test import Client
from django.utils import timezone

from newsletter.models import Subscriber, SubscriberMail
from newsletter.tasks import RETRY_DELAYS, MailDeliveryError, subscriber_mail_send_task
from tests.integration import free_port

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_refuses(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2


def test_a_failed_delivery_is_retried_and_names_the_subscriber_only(smtp_refuses, caplog):
    subscriber = SubscriberFactory(email="private.person@example.com")
    mail_row = SubscriberMail.objects.create(subscriber=subscriber, kind="confirmation", due_at=timezone.now())
    with pytest.raises(Retry) as retry:
        subscriber_mail_send_task.apply(args=[mail_row.pk])
    assert str(retry.value.exc) == f"ConnectionRefusedError while mailing subscriber {subscriber.pk}"
    assert retry.value.when == 60
    mail_row.refresh_from_db()
    assert (mail_row.status, mail_row.attempts) == ("queued", 1)
    assert mail_row.due_at > timezone.now() + timedelta(seconds=50)  # the sweeper leaves it to the retry
    # The last attempt gives up with the same message, not chained to the SMTP error.
    SubscriberMail.objects.filter(pk=mail_row.pk).update(attempts=len(RETRY_DELAYS))
    with pytest.raises(MailDeliveryError) as failure:
        subscriber_mail_send_task.apply(args=[mail_row.pk])
    assert failure.value.__context__ is None and failure.value.__cause__ is None
    mail_row.refresh_from_db()
    assert mail_row.status == "failed" and "private.person" not in mail_row.last_error
    assert "private.person" not in caplog.text


def test_a_redelivered_mail_task_sends_nothing_twice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/newsletter/subscribe/", {"email": "once@example.com"})
    assert len(mail.outbox) == 1
    (mail_row,) = SubscriberMail.objects.all()
    assert mail_row.status == "sent"
    for _ in range(3):  # the broker hands the same message out again (sent, never acknowledged)
        assert subscriber_mail_send_task.apply(args=[mail_row.pk]).get() is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_signup_answers_even_when_mail_cannot_be_sent(smtp_refuses, caplog):
    response = Client().post("/newsletter/subscribe/", {"email": "private.person@example.com"})
    assert response.status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert "private.person" not in caplog.text


def test_signup_answers_when_the_cache_is_down(settings, django_capture_on_commit_callbacks):
    # A cache server that does not answer: the rate limit lets the request through.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/newsletter/subscribe/", {"email": "cache.down@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 1

"""The signup request and the mail ledger: what the form does on the request path, what the
task does, and how the sweeper recovers work whose task was lost."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsletter.mail_ledger import subscriber_mails_sweep
from newsletter.models import SignupRequest, Subscriber, SubscriberMail

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def _shape(sql: str) -> str:
    """A statement without its values: what the database was asked to do, not with what."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    return re.sub(r"\b\d+(\.\d+)?\b", "?", sql)


@pytest.mark.redis
def test_the_request_path_does_the_same_work_for_every_address(settings):
    """The timing of the neutral answer must not tell a known address from an unknown one."""
    from vivold.celery import app

    settings.RATE_LIMITS = {"subscribe-address": (1000, 3600), "subscribe-ip": (1000, 3600)}
    app.conf.task_always_eager = False  # queued for real (to a queue nobody reads), not run here
    app.conf.task_default_queue = "test-signup-shape"
    SubscriberFactory(email="active@example.com", active=True)
    SubscriberFactory(email="pending@example.com")
    SubscriberFactory(email="gone@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    shapes = {}
    try:
        for address in ("new@example.com", "active@example.com", "pending@example.com", "gone@example.com"):
            with CaptureQueriesContext(connection) as queries:
                response = Client().post("/newsletter/subscribe/", {"email": address}, HTTP_ACCEPT="application/json")
            assert response.status_code == 200
            shapes[address] = [_shape(q["sql"]) for q in queries.captured_queries]
    finally:
        app.conf.task_default_queue = "celery"
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("test-signup-shape")
    assert shapes["new@example.com"], "the request wrote nothing"
    assert all(shape == shapes["new@example.com"] for shape in shapes.values()), shapes
    assert not any("newsletter_subscriber" in sql for sql in shapes["new@example.com"])
    assert SignupRequest.objects.count() == 4  # for the task to look up


def test_the_task_turns_a_request_into_a_subscriber_with_one_confirmation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/newsletter/subscribe/", {"email": "new.reader@example.com", "cadence": "daily"})
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.cadence, subscriber.status) == ("new.reader@example.com", "daily", "pending")
    assert not SignupRequest.objects.exists()
    assert list(SubscriberMail.objects.values_list("kind", "status", "attempts")) == [("confirmation", "sent", 1)]
    assert len(mail.outbox) == 1


def test_a_request_processed_twice_makes_one_subscriber_and_one_mail(django_capture_on_commit_callbacks):
    from newsletter.tasks import signup_request_process_task

    request = SignupRequest.objects.create(
        email="twice@example.com", created_at=timezone.now(), queued_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert signup_request_process_task.apply(args=[request.pk]).get() is not None
        assert signup_request_process_task.apply(args=[request.pk]).get() is None  # redelivered
    assert Subscriber.objects.count() == 1 and SubscriberMail.objects.count() == 1
    assert len(mail.outbox) == 1


def _lost_request(email: str, *, minutes_ago: float) -> SignupRequest:
    """A request whose task never reached a worker (the broker was down when it was made)."""
    then = timezone.now() - timedelta(minutes=minutes_ago)
    return SignupRequest.objects.create(email=email, created_at=then, queued_at=then)


def test_the_sweeper_queues_again_a_signup_whose_task_was_lost(django_capture_on_commit_callbacks, settings):
    settings.NEWSLETTER_QUEUE_STALE_SECONDS = 60
    _lost_request("lost@example.com", minutes_ago=5)
    recent = _lost_request("recent@example.com", minutes_ago=0.2)  # its task may still be on its way
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriber_mails_sweep() == {"requests": 1, "mails": 0}
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["lost@example.com"]
    assert Subscriber.objects.get().consent_at < timezone.now() - timedelta(minutes=4)  # when the person asked
    assert [m.to for m in mail.outbox] == [["lost@example.com"]]
    assert list(SignupRequest.objects.all()) == [recent]
    # Queued again, it is not queued once more on the next sweep.
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriber_mails_sweep() == {"requests": 0, "mails": 0}


def test_a_mail_claimed_by_a_worker_that_died_is_sent_after_the_claim_timeout(
    django_capture_on_commit_callbacks, settings
):
    settings.NEWSLETTER_CLAIM_TIMEOUT_SECONDS = 120
    subscriber = SubscriberFactory(email="stuck@example.com")
    now = timezone.now()
    stuck = SubscriberMail.objects.create(
        subscriber=subscriber, kind="confirmation", status="sending", due_at=now, claimed_at=now, attempts=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriber_mails_sweep() == {"requests": 0, "mails": 0}  # a live worker may still hold it
    assert mail.outbox == []
    with time_machine.travel(now + timedelta(seconds=121)), django_capture_on_commit_callbacks(execute=True):
        assert subscriber_mails_sweep() == {"requests": 0, "mails": 1}
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("sent", 2)
    assert [m.to for m in mail.outbox] == [["stuck@example.com"]]


def test_a_mail_waiting_for_its_retry_is_left_to_it(settings):
    subscriber = SubscriberFactory()
    SubscriberMail.objects.create(
        subscriber=subscriber, kind="confirmation", due_at=timezone.now() + timedelta(minutes=5), attempts=1
    )
    assert subscriber_mails_sweep() == {"requests": 0, "mails": 0}


def test_a_confirmation_no_longer_wanted_is_skipped(django_capture_on_commit_callbacks):
    subscriber = SubscriberFactory(active=True)
    row = SubscriberMail.objects.create(
        subscriber=subscriber, kind="confirmation", due_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_mails_sweep()
    row.refresh_from_db()
    assert row.status == "skipped" and mail.outbox == []

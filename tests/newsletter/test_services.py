"""The status machine, one transition at a time, and the mails each one starts."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from newsletter.models import Subscriber, normalize_email
from newsletter.services import (
    subscriber_confirm,
    subscriber_confirmation_request,
    subscriber_create,
    subscriber_suppress,
    subscriber_unsubscribe,
    subscriber_update_preferences,
)
from tests.articles.factories import TopicFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

Status = Subscriber.Status


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


def test_new_address_is_pending_with_consent_record_and_one_confirmation(django_capture_on_commit_callbacks):
    topic = TopicFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subscriber, created = subscriber_create(email="Ann@Example.com", topics=[topic], source="/x/", ip="192.0.2.1")
    # Nothing is mailed inside the transaction: the task starts on commit.
    assert created and mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    subscriber.refresh_from_db()
    assert subscriber.status == Status.PENDING
    assert subscriber.email == "Ann@Example.com" and subscriber.email_normalized == "ann@example.com"
    assert subscriber.consent_source == "/x/" and subscriber.consent_ip == "192.0.2.1" and subscriber.consent_at
    assert list(subscriber.topics.all()) == [topic]
    assert subscriber.cadence == Subscriber.Cadence.WEEKLY
    assert subscriber.confirmed_at is None and subscriber.confirmation_sent_at is not None
    assert len(mail.outbox) == 1 and "Confirm" in mail.outbox[0].subject and mail.outbox[0].to == ["Ann@Example.com"]


def test_pending_confirms_to_active_with_one_welcome(django_capture_on_commit_callbacks):
    subscriber = SubscriberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        subscriber = subscriber_confirm(subscriber=subscriber)
    assert subscriber.status == Status.ACTIVE and subscriber.confirmed_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Welcome")
    confirmed_at = subscriber.confirmed_at
    # Confirming twice is harmless: no second welcome, the first date kept.
    with django_capture_on_commit_callbacks(execute=True):
        again = subscriber_confirm(subscriber=subscriber)
    assert again.status == Status.ACTIVE and again.confirmed_at == confirmed_at and len(mail.outbox) == 1


@pytest.mark.parametrize("start", [Status.PENDING, Status.ACTIVE])
def test_pending_and_active_unsubscribe(start):
    subscriber = SubscriberFactory(status=start)
    subscriber = subscriber_unsubscribe(subscriber=subscriber)
    assert subscriber.status == Status.UNSUBSCRIBED and subscriber.unsubscribed_at is not None
    first = subscriber.unsubscribed_at
    assert subscriber_unsubscribe(subscriber=subscriber).unsubscribed_at == first  # idempotent


@pytest.mark.parametrize("start", [Status.PENDING, Status.ACTIVE, Status.UNSUBSCRIBED])
def test_any_status_can_be_suppressed_and_stays_so_on_unsubscribe(start):
    subscriber = subscriber_suppress(subscriber=SubscriberFactory(status=start))
    assert subscriber.status == Status.SUPPRESSED and subscriber.suppressed_at is not None
    assert subscriber_unsubscribe(subscriber=subscriber).status == Status.SUPPRESSED


@pytest.mark.parametrize("start", [Status.UNSUBSCRIBED, Status.SUPPRESSED])
def test_unsubscribed_and_suppressed_become_active_only_by_confirming_anew(start, django_capture_on_commit_callbacks):
    topic = TopicFactory()
    subscriber = SubscriberFactory(status=start, cadence=Subscriber.Cadence.DAILY, topics=[topic])
    with django_capture_on_commit_callbacks(execute=True):
        again, created = subscriber_create(email=subscriber.email.upper(), topics=[], ip="198.51.100.7")
    assert not created and again.pk == subscriber.pk
    subscriber.refresh_from_db()
    # The request alone changes nothing a stranger could abuse: still not active, same choices.
    assert subscriber.status == start and subscriber.cadence == Subscriber.Cadence.DAILY
    assert list(subscriber.topics.all()) == [topic] and subscriber.consent_ip == "192.0.2.10"
    assert subjects() == ["Confirm your subscription to Vivold Insights"]
    with django_capture_on_commit_callbacks(execute=True):
        subscriber = subscriber_confirm(subscriber=subscriber)
    assert subscriber.status == Status.ACTIVE
    assert subjects()[-1].startswith("Welcome")


def test_active_address_asking_again_gets_no_mail(django_capture_on_commit_callbacks):
    subscriber = SubscriberFactory(active=True)
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_create(email=subscriber.email, topics=[])
    subscriber.refresh_from_db()
    assert subscriber.status == Status.ACTIVE and mail.outbox == []


def test_pending_address_is_sent_again_at_most_once_an_hour(django_capture_on_commit_callbacks):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            subscriber_create(email="bo@example.com", topics=[])
            for _ in range(3):
                subscriber_create(email="BO@example.com", topics=[])
        assert len(mail.outbox) == 1
        traveller.shift(timedelta(minutes=59))
        with django_capture_on_commit_callbacks(execute=True):
            subscriber_create(email="bo@example.com", topics=[])
        assert len(mail.outbox) == 1
        traveller.shift(timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):
            subscriber_create(email="bo@example.com", topics=[])
            subscriber_create(email="bo@example.com", topics=[])
        assert len(mail.outbox) == 2
    assert Subscriber.objects.count() == 1


def test_unsubscribing_then_asking_again_sends_a_confirmation_at_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscriber, _ = subscriber_create(email="cy@example.com", topics=[])
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_confirm(subscriber=subscriber)
    subscriber_unsubscribe(subscriber=subscriber)
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_create(email="cy@example.com", topics=[])
    assert [s.split()[0] for s in subjects()] == ["Confirm", "Welcome", "Confirm"]
    subscriber.refresh_from_db()
    assert subscriber.status == Status.UNSUBSCRIBED


@pytest.mark.parametrize("status", [Status.UNSUBSCRIBED, Status.SUPPRESSED, Status.ACTIVE])
def test_mail_queued_before_a_status_change_is_not_sent(status, django_capture_on_commit_callbacks):
    """A confirmation waiting in the queue is dropped once the address is active, unsubscribed or suppressed."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subscriber, _ = subscriber_create(email="di@example.com", topics=[])
    Subscriber.objects.filter(pk=subscriber.pk).update(status=status)
    callbacks[0]()
    if status == Status.ACTIVE:
        assert mail.outbox == []
    else:  # unsubscribed or suppressed people may still confirm anew from this mail
        assert len(mail.outbox) == 1


@pytest.mark.parametrize("status", [Status.PENDING, Status.UNSUBSCRIBED, Status.SUPPRESSED])
def test_welcome_goes_only_to_active_subscribers(status, django_capture_on_commit_callbacks):
    subscriber = SubscriberFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subscriber_confirm(subscriber=subscriber)
    Subscriber.objects.filter(pk=subscriber.pk).update(status=status)
    callbacks[0]()
    assert mail.outbox == []


def test_confirmation_request_is_refused_for_active_and_recent():
    active = SubscriberFactory(active=True)
    assert subscriber_confirmation_request(subscriber=active) is False
    recent = SubscriberFactory(confirmation_sent_at=timezone.now())
    assert subscriber_confirmation_request(subscriber=recent) is False
    old = SubscriberFactory(confirmation_sent_at=timezone.now() - timedelta(hours=2))
    assert subscriber_confirmation_request(subscriber=old) is True


def test_preferences_change_topics_and_cadence_but_not_status():
    one, two = TopicFactory(), TopicFactory()
    subscriber = SubscriberFactory(active=True, topics=[one])
    subscriber_update_preferences(subscriber=subscriber, cadence="daily", topics=[two])
    subscriber.refresh_from_db()
    assert subscriber.cadence == "daily" and list(subscriber.topics.all()) == [two]
    assert subscriber.status == Status.ACTIVE
    with pytest.raises(ValueError, match="cadence"):
        subscriber_update_preferences(subscriber=subscriber, cadence="hourly", topics=[])


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  ann@example.com ", "ann@example.com"),
        ("ann@bücher.de", "ann@xn--bcher-kva.de"),
        ("ann@XN--BCHER-KVA.de", "ann@xn--bcher-kva.de"),
    ],
)
def test_normalize_email(typed, normalized):
    assert normalize_email(typed) == normalized


def test_counts_by_status_lists_every_status():
    SubscriberFactory.create_batch(2)
    SubscriberFactory(active=True)
    assert Subscriber.objects.counts_by_status() == {"pending": 2, "active": 1, "unsubscribed": 0, "suppressed": 0}


@pytest.mark.parametrize("stop", [subscriber_unsubscribe, subscriber_suppress])
def test_an_address_that_asked_us_to_stop_gets_at_most_one_confirmation_a_day(stop, django_capture_on_commit_callbacks):
    with time_machine.travel("2026-04-01 09:00:00Z", tick=False) as traveller:
        subscriber = SubscriberFactory(active=True, confirmation_sent_at=timezone.now() - timedelta(days=30))
        stop(subscriber=subscriber)
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                subscriber_create(email=subscriber.email, topics=[])
        assert len(mail.outbox) == 1
        traveller.shift(timedelta(hours=23))
        with django_capture_on_commit_callbacks(execute=True):
            subscriber_create(email=subscriber.email, topics=[])
        assert len(mail.outbox) == 1
        traveller.shift(timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            subscriber_create(email=subscriber.email, topics=[])
        assert len(mail.outbox) == 2
    subscriber.refresh_from_db()
    assert subscriber.status != Status.ACTIVE


def test_a_suppressed_address_recently_mailed_waits_a_day(django_capture_on_commit_callbacks):
    subscriber = SubscriberFactory(status=Status.PENDING, confirmation_sent_at=timezone.now() - timedelta(hours=2))
    subscriber_suppress(subscriber=subscriber)
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_create(email=subscriber.email, topics=[])
    assert mail.outbox == []

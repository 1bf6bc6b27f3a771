"""What editors, `send_digest` and beat do to an edition: send it, send it when due, test it.

An edition is built in `building`, rendered in `rendering` and delivered in `delivery`;
these are the few verbs that start that work.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.links import absolute_url
from newsletter.emails import subscriber_message
from newsletter.models import Subscriber

from .building import NothingToSend, digest_build, edition_contents, edition_recipients
from .delivery import deliveries_create, deliveries_start
from .models import Digest
from .rendering import DigestRenderer

logger = logging.getLogger(__name__)


def digest_send(*, digest: Digest) -> Digest:
    """Start sending: write the ledger and hand it to the workers. Idempotent: an edition
    already sending only gets its workers woken, a sent one is left alone.

    Raises NothingToSend when none of its articles may go out now (drafts, scheduled), or
    when no subscriber would receive it; those left out of an edition that does go are
    recorded in `digest.withheld`.

    A digest sent before its period ends closes the period now: the next edition of its
    cadence holds what is published from here on, instead of finding its slot taken.
    """
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest.pk)
        if digest.status == Digest.Status.SENT:
            return digest
        if digest.status != Digest.Status.SENDING:
            contents = edition_contents(digest)
            if not contents.articles:
                raise NothingToSend.because(contents.withheld)
            if not edition_recipients(digest).exists():
                raise NothingToSend(_no_recipients(digest))
            now = timezone.now()
            digest.status = Digest.Status.SENDING
            digest.started_at = now
            digest.withheld = [entry.as_record() for entry in contents.withheld]
            if digest.kind == Digest.Kind.DIGEST and now < digest.period_end:
                digest.period_end = now
            digest.save(update_fields=["status", "started_at", "withheld", "period_end"])
            digest.recipients_count = deliveries_create(digest=digest)
            digest.save(update_fields=["recipients_count"])
        deliveries_start(digest=digest)
    return digest


def _no_recipients(digest: Digest) -> str:
    if digest.kind == Digest.Kind.DIGEST:
        who = f"no active subscriber takes the {Subscriber.Cadence(digest.cadence).label.lower()} digest"
    else:
        who = "no active subscriber"
    return f"Nothing sent: {who} with a topic of its articles. The edition stays as it is."


def digests_due_send(*, cadence: str, now: datetime | None = None) -> Digest | None:
    """What beat runs at 07:00: build this cadence's edition and send it (nothing if empty)."""
    digest = digest_build(cadence=cadence, now=now)
    if digest is None:
        logger.info("no %s digest: nothing was published in the period", cadence)
        return None
    try:
        return digest_send(digest=digest)
    except NothingToSend as error:
        logger.warning("%s digest %s not sent: %s", cadence, digest.pk, error)
        return None


def digest_send_test(*, digest: Digest, email: str) -> None:
    """Send the full edition (every article) to an editor's address, marked as a test."""
    renderer = DigestRenderer(digest)
    rendered = renderer.for_topics(frozenset())
    if rendered is None:
        raise NothingToSend.because(renderer.withheld)
    probe = Subscriber(email=email)  # never saved: its links only need to look right
    text, html = rendered.personalize({"unsubscribe_url": absolute_url("/"), "preferences_url": absolute_url("/")})
    message = subscriber_message(
        subscriber=probe, subject=f"[Test] {rendered.subject}", text=text, html=html, unsubscribe_url=absolute_url("/")
    )
    message.send()

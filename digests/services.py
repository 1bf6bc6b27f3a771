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

from .building import NothingToSend, digest_build, edition_contents
from .delivery import deliveries_create, deliveries_start
from .models import Digest
from .rendering import DigestRenderer

logger = logging.getLogger(__name__)


def digest_send(*, digest: Digest) -> Digest:
    """Start sending: write the ledger and hand it to the workers. Idempotent: an edition
    already sending only gets its workers woken, a sent one is left alone.

    Raises NothingToSend when none of its articles may go out now (drafts, scheduled);
    those left out of an edition that does go are recorded in `digest.withheld`.
    """
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest.pk)
        if digest.status == Digest.Status.SENT:
            return digest
        if digest.status != Digest.Status.SENDING:
            contents = edition_contents(digest)
            if not contents.articles:
                raise NothingToSend.because(contents.withheld)
            digest.status = Digest.Status.SENDING
            digest.started_at = timezone.now()
            digest.withheld = [entry.as_record() for entry in contents.withheld]
            digest.save(update_fields=["status", "started_at", "withheld"])
            digest.recipients_count = deliveries_create(digest=digest)
            digest.save(update_fields=["recipients_count"])
        deliveries_start(digest=digest)
    return digest


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

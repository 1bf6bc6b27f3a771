"""Build and send the digest that is due now, with a progress bar."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from digests.building import NothingToSend, digest_build, edition_contents, edition_recipients
from digests.models import Delivery, Digest
from digests.services import digest_send
from newsletter.models import Subscriber

STALL_SECONDS = 120


class Command(BaseCommand):
    help = "Build and send the digest due now (each cadence, or one), or a given edition. --dry-run only counts."

    def add_arguments(self, parser):
        parser.add_argument("--cadence", choices=Subscriber.Cadence.values, help="only this cadence")
        parser.add_argument("--digest", type=int, help="send this edition (by id) instead of the one due now")
        parser.add_argument("--dry-run", action="store_true", help="count articles and recipients, send nothing")
        parser.add_argument("--no-wait", action="store_true", help="hand over to the workers and return at once")

    def handle(self, *args, cadence=None, digest=None, dry_run=False, no_wait=False, **options):
        if digest is not None:
            editions = [self._edition(digest)]
        else:
            cadences = [cadence] if cadence else Subscriber.Cadence.values
            editions = []
            for name in cadences:
                if dry_run:
                    self._dry_run(name)
                    continue
                edition = digest_build(cadence=name)
                if edition is None:
                    self.stdout.write(f"{name}: nothing was published in this period, nothing to send.")
                else:
                    editions.append(edition)
        if dry_run and digest is not None:
            edition = editions[0]
            self.stdout.write(f"{edition}: {edition_recipients(edition).count()} recipients (dry run)")
            return
        for edition in editions:
            if edition.status == Digest.Status.SENT:
                self.stdout.write(f"{edition}: already sent ({edition.sent_count} sent, {edition.failed_count} failed)")
                continue
            try:
                sending = digest_send(digest=edition)
            except NothingToSend as error:
                self.stderr.write(f"{edition}: {error}")
                continue
            if no_wait:
                self.stdout.write(f"{sending}: handed to the workers ({sending.recipients_count} recipients).")
            else:
                self._follow(sending)

    def _edition(self, pk: int) -> Digest:
        try:
            return Digest.objects.get(pk=pk)
        except Digest.DoesNotExist:
            raise CommandError(f"No digest with id {pk}.") from None

    def _dry_run(self, cadence: str) -> None:
        # Build the edition inside a transaction that is rolled back: the real rules, no trace left.
        with transaction.atomic():
            edition = digest_build(cadence=cadence)
            if edition is None:
                self.stdout.write(f"{cadence}: nothing was published in this period, nothing to send (dry run).")
            else:
                recipients = edition_recipients(edition).count()
                contents = edition_contents(edition)
                left_out = f" ({len(contents.withheld)} left out: not published)" if contents.withheld else ""
                self.stdout.write(
                    f"{cadence}: {len(contents.articles)} articles{left_out}, {recipients} recipients "
                    f"[{edition.get_status_display()}] (dry run)"
                )
            transaction.set_rollback(True)

    def _follow(self, edition: Digest) -> None:
        deliveries = Delivery.objects.filter(digest=edition)
        last_change, last_done = time.monotonic(), -1
        with tqdm(total=edition.recipients_count, desc=str(edition)[:40], unit="mail", file=self.stdout) as bar:
            while True:
                progress = deliveries.progress()
                bar.n = progress["total"] - progress["remaining"]
                bar.set_postfix(sent=progress["sent"], failed=progress["failed"], refresh=False)
                bar.refresh()
                if not progress["remaining"]:
                    break
                if bar.n != last_done:
                    last_change, last_done = time.monotonic(), bar.n
                elif time.monotonic() - last_change > STALL_SECONDS:
                    self.stderr.write(
                        f"No progress for {STALL_SECONDS} s: is a Celery worker running? "
                        "The deliveries stay queued and go out when one is."
                    )
                    return
                time.sleep(0.5)
        edition.refresh_from_db()
        self.stdout.write(
            f"{edition}: {progress['sent']} sent, {progress['failed']} failed, {progress['skipped']} skipped."
        )

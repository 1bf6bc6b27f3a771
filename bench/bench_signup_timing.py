"""Signup timing: the neutral answer's time for unknown, active and pending addresses (medians of 50 each).

The subscribe view must not tell by its timing whether an address is known: it does the same
work for every address (one INSERT of the request, one task queued) and the task does the
lookup. Runs in a throwaway test database with the real broker (REDIS_URL; the tasks go to a
queue of the benchmark's own, purged at the end, so no worker runs them) and the view called
in-process through Django's test client, the three kinds of address taken in turn.
"""

import os
import random
import statistics
import time

TRIES = 50
WARM_UP = 20
QUEUE = "bench-signup-timing"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vivold.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def main() -> None:
    _setup()
    import logging

    from django.conf import settings

    if not settings.REDIS_URL:
        print("skipped: needs REDIS_URL (without a broker the task would run inside the request)")
        return
    logging.disable(logging.INFO)  # a log line per signup would be measured too
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from newsletter.models import Subscriber
    from vivold.celery import app

    app.conf.task_always_eager = False
    app.conf.task_default_queue = QUEUE
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        limits = {"subscribe-ip": (10**6, 3600), "subscribe-address": (10**6, 3600)}
        with override_settings(RATE_LIMITS=limits, DEBUG=False):
            known = {
                "active": [f"active{n}@example.com" for n in range(TRIES)],
                "pending": [f"pending{n}@example.com" for n in range(TRIES)],
            }
            for status, addresses in (("active", known["active"]), ("pending", known["pending"])):
                Subscriber.objects.bulk_create(
                    Subscriber(email=a, email_normalized=a, status=status) for a in addresses
                )
            client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])

            def post(address: str) -> float:
                start = time.perf_counter()
                response = client.post("/newsletter/subscribe/", {"email": address}, HTTP_ACCEPT="application/json")
                elapsed = time.perf_counter() - start
                assert response.status_code == 200, response.content
                return elapsed * 1000

            for n in range(WARM_UP):
                post(f"warm{n}@example.com")
            times: dict[str, list[float]] = {"unknown": [], "active": [], "pending": []}
            rng = random.Random(16)
            for n in range(TRIES):
                kinds = list(times)
                rng.shuffle(kinds)  # no kind always first after a pause
                for kind in kinds:
                    address = f"new{n}@example.com" if kind == "unknown" else known[kind][n]
                    times[kind].append(post(address))
    finally:
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(QUEUE)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    for kind, values in times.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"  {kind:8} median {medians[kind]:6.2f} ms   p90 {p90:6.2f} ms   ({len(values)} tries)")
    spread = max(medians.values()) - min(medians.values())
    print(f"  largest difference between medians: {spread:.2f} ms (target: under 2 ms)")

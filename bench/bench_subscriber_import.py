"""Subscriber CSV import: one transaction per file with a savepoint per row, against one transaction per row.

Runs in a throwaway test database (SQLite in memory unless DATABASE_URL names PostgreSQL, in which
case a test_ database beside it), so no real data is touched.
"""

import os
import statistics
import time

ROWS = 2000
REPEATS = 5


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vivold.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def _csv(rows: int) -> bytes:
    lines = ["email,status,cadence,created_at,consent_ip"]
    lines += [
        f"reader{i}@example.com,active,weekly,2026-01-0{1 + i % 9}T08:00:00+00:00,192.0.2.{i % 250}"
        for i in range(rows)
    ]
    return "\n".join(lines).encode()


def _time(run) -> float:
    from newsletter.models import Subscriber

    Subscriber.objects.all().delete()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    _setup()
    import logging

    logging.getLogger("newsletter").setLevel(logging.WARNING)  # one log line per import call
    from django.db import connection

    from newsletter import subscriber_csv
    from newsletter.models import Subscriber
    from newsletter.services import subscribers_import

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rows = subscriber_csv.parse_csv(_csv(ROWS)).rows

        def per_row() -> None:  # the baseline: a transaction and a lookup for every row
            for row in rows:
                subscribers_import(rows=[row])

        def per_file() -> None:
            subscribers_import(rows=rows)

        baseline, current = [], []
        for _ in range(REPEATS):
            baseline.append(_time(per_row))
            current.append(_time(per_file))
        assert Subscriber.objects.count() == ROWS
        b, c = statistics.median(baseline), statistics.median(current)
        vendor = connection.vendor
        print(f"{vendor}: import {ROWS} rows, median of {REPEATS}")
        print(f"  baseline, transaction per row: {b:.2f} s ({ROWS / b:,.0f} rows/s)")
        print(f"  savepoint per row, bulk lookup: {c:.2f} s ({ROWS / c:,.0f} rows/s)")
        print(f"  ratio: {b / c:.1f}x faster")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

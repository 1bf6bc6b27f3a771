"""Print each article's views, visitors, signups and digest clicks over the last N days."""

import json

from django.core.management.base import BaseCommand, CommandError

from insights.reports import report_rows


class Command(BaseCommand):
    help = (
        "Views, visitors, confirmed signups and digest clicks per article over the last N days "
        "(today included), counting what Redis holds and has not flushed yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="how many days back, today included (default 7)")
        parser.add_argument("--json", action="store_true", help="a JSON list, one object per article")

    def handle(self, *args, days: int, **options):
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        rows = report_rows(days=days)
        if options["json"]:
            self.stdout.write(_dumps(rows))
            return
        if not rows:
            self.stdout.write(f"Nothing counted in the last {days} days.")
            return
        width = max(len(row["slug"]) for row in rows)
        self.stdout.write(f"{'article':<{width}}  {'views':>8}  {'visitors':>8}  {'signups':>7}  {'clicks':>6}")
        for row in rows:
            self.stdout.write(
                f"{row['slug']:<{width}}  {row['views']:>8}  {row['visitors']:>8}  "
                f"{row['signups']:>7}  {row['digest_clicks']:>6}"
            )


def _dumps(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2)

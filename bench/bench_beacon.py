"""Reader insights: the beacon endpoint under gunicorn with Redis counters, and the flush of 100,000 views.

What it does, all on loopback:
1. creates the PostgreSQL database ``vivold_bench_beacon`` afresh with 1,000 published articles;
2. starts the production configuration (DJANGO_DEBUG=0, gunicorn with gunicorn.conf.py,
   Redis on a database number of its own) and posts beacons with wrk (``-t2 -c32``): article
   paths at random, a referrer, a user agent that varies per request (so visitors vary too);
3. flushes what was counted and checks that every beacon answered 204 became one stored view;
4. counts 100,000 views through ``insights.counting.view_count`` (the endpoint's own code) over
   1,000 articles, 50 referring sites, 10 campaigns, 3 device classes and 20,000 visitors,
   on today and yesterday, and times ``counters_flush()`` moving them into PostgreSQL
   (and forgetting yesterday's HyperLogLogs).

Targets (issue 19): TARGET_RPS beacons/s with no error, the flush under TARGET_FLUSH_SECONDS.
Environment: BENCH_DURATION (seconds per wrk run, 15), BENCH_CONNECTIONS (bench/load.py),
BENCH_BEACON_DATABASE_URL (postgres://postgres@127.0.0.1:5432/vivold_bench_beacon),
BENCH_BEACON_REDIS_URL (redis://127.0.0.1:6379/13).
"""

import json
import os
import secrets
import subprocess
from pathlib import Path

from .environment import PY, ROOT, WORK, env, recreate_database
from .load import CONNECTIONS, THREADS, wrk, wrk_run
from .servers import Server, gunicorn

DURATION = int(os.environ.get("BENCH_DURATION", "15"))
DATABASE_URL = os.environ.get("BENCH_BEACON_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vivold_bench_beacon")
REDIS_URL = os.environ.get("BENCH_BEACON_REDIS_URL", "redis://127.0.0.1:6379/13")
ARTICLES = 1000
FLUSH_VIEWS = 100_000
SECRET = secrets.token_urlsafe(50)
TARGET_RPS = 1500
TARGET_FLUSH_SECONDS = 5.0


def _env(**extra: str) -> dict[str, str]:
    return env(
        database_url=DATABASE_URL,
        redis_url=REDIS_URL,
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_SETTINGS_MODULE="vivold.settings",
        **extra,
    )


def _child(function: str) -> dict:
    """Run one of this module's child_* functions in a process with Django set up on the bench database."""
    done = subprocess.run(
        [PY, "-c", f"import django; django.setup(); import bench.bench_beacon as b; b.{function}()"],
        cwd=ROOT,
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_seed() -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from articles.models import Article, Author
    from insights.counting import redis_client

    call_command("migrate", verbosity=0)
    redis_client().flushdb()
    author = Author.objects.create(name="Bench Analyst", slug="bench-analyst", role="Analyst")
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            title=f"Bench article {n}",
            slug=f"bench-article-{n}",
            dek="Why this matters.",
            key_insights="What to know.",
            body="<p>Body.</p>",
            author=author,
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(hours=n + 1),
        )
        for n in range(ARTICLES)
    )
    print(json.dumps({"slugs": list(Article.objects.values_list("slug", flat=True))}))


def child_flush_and_count() -> None:
    from django.db.models import Sum

    from insights.flushing import counters_flush
    from insights.models import ArticleDay, SourceDay

    counters_flush()
    print(
        json.dumps(
            {
                "views": ArticleDay.objects.aggregate(n=Sum("views"))["n"] or 0,
                "device_views": SourceDay.objects.filter(kind="device").aggregate(n=Sum("views"))["n"] or 0,
            }
        )
    )


def child_flush_bench() -> None:
    import random
    import time
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Sum
    from django.utils import timezone

    from articles.models import Article
    from insights.counting import PREFIX, View, redis_client, view_count_commands, visitor_hash
    from insights.flushing import counters_flush
    from insights.models import ArticleDay, SiteDay, SourceDay

    redis_client().flushdb()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE insights_articleday, insights_sourceday, insights_siteday")
    rng = random.Random(19)
    article_ids = list(Article.objects.values_list("pk", flat=True))
    referrers = ["", "internal"] + [f"site{n}.example" for n in range(48)]
    campaigns = [""] * 5 + [f"source{n} / email" for n in range(10)]
    devices = ["desktop", "mobile", "tablet"]
    today = timezone.localdate()
    days = [today - timedelta(days=1), today]
    client = redis_client()
    started = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for n in range(FLUSH_VIEWS):
        day = days[n % 2]
        view = View(
            article_id=rng.choice(article_ids),
            visitor=visitor_hash(ip=f"10.0.{n % 20_000 // 250}.{n % 250}", user_agent="ua", day=day),
            referrer=rng.choice(referrers),
            campaign=rng.choice(campaigns),
            device=rng.choice(devices),
        )
        view_count_commands(pipe, view, day)  # what view_count() sends, 1,000 views a round trip
        if n % 1000 == 999:
            pipe.execute()
    pipe.execute()
    counting = time.perf_counter() - started
    started = time.perf_counter()
    moved = counters_flush()
    flush = time.perf_counter() - started
    stored = ArticleDay.objects.aggregate(n=Sum("views"))["n"]
    left = [key.decode().removeprefix(PREFIX + ":") for key in client.scan_iter(match=f"{PREFIX}:*")]
    print(
        json.dumps(
            {
                "counting_seconds": counting,
                "flush_seconds": flush,
                "moved": moved["views"],
                "stored": stored,
                "rows": ArticleDay.objects.count() + SourceDay.objects.count() + SiteDay.objects.count(),
                "redis_keys_left": _key_kinds(left),
            }
        )
    )


def _key_kinds(keys: list[str]) -> dict[str, int]:
    """How many keys of each kind are left, by day: {"2026-12-01 visitors": 1001, "days": 1, …}."""
    kinds: dict[str, int] = {}
    for key in keys:
        parts = key.split(":")
        kind = (
            " ".join(parts[:2]) if parts[0][:1].isdigit() else ":".join(parts[:2]) if parts[0] == "salt" else parts[0]
        )
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items()))


def _lua(slugs: list[str]) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    script = WORK / "beacon.lua"
    paths = ", ".join(f'"/articles/{slug}/"' for slug in slugs)
    script.write_text(
        f"local paths = {{{paths}}}\n"
        "local ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 '\n"
        "request = function()\n"
        "  local body = 'u=' .. paths[math.random(#paths)] .. '&r=https%3A%2F%2Fnews.example'\n"
        "  return wrk.format('POST', '/insights/beacon/', {\n"
        "    ['Content-Type'] = 'application/x-www-form-urlencoded',\n"
        "    ['Sec-Fetch-Site'] = 'same-origin',\n"
        "    ['X-Forwarded-Proto'] = 'https',\n"
        "    ['User-Agent'] = ua .. math.random(5000),\n"
        "  }, body)\n"
        "end\n"
    )
    return script


def _gunicorn() -> Server:
    return gunicorn(base_env=_env(), log="gunicorn-beacon.log")


def main() -> None:
    wrk()
    recreate_database(DATABASE_URL)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=_env(), check=True)
    slugs = _child("child_seed")["slugs"]
    script = _lua(slugs)
    server = _gunicorn()
    try:
        wrk_run(server.base + "/insights/beacon/", seconds=2, server=server, script=script)  # warm-up
        _child("child_flush_and_count")
        stored_before = _child("child_flush_and_count")["views"]
        load = wrk_run(server.base + "/insights/beacon/", seconds=DURATION, server=server, script=script)
        # The same server's answer to the smallest Django page, in the same minute: what this machine
        # gives a request that does nothing, to read the beacon's figure against.
        reference = wrk_run(server.base + "/robots.txt", seconds=DURATION, server=server)
    finally:
        server.stop()
    counted = _child("child_flush_and_count")
    stored = counted["views"] - stored_before
    flush = _child("child_flush_bench")

    print(f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s POST /insights/beacon/, {os.cpu_count()} cores")
    print(
        f"  beacon: {load.requests_per_second:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, "
        f"{load.requests:,} requests, {load.bad} errors or non-2xx, "
        f"server CPU {load.cpu_ms:.2f} ms/request; views stored after the flush: {stored:,}"
    )
    print(
        f"  reference, GET /robots.txt on the same server: {reference.requests_per_second:,.0f} req/s, "
        f"p99 {reference.p99_ms:.1f} ms, {reference.bad} errors; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  counting {FLUSH_VIEWS:,} views (view_count's script, pipelined): {flush['counting_seconds']:.1f} s; "
        f"flush into PostgreSQL: {flush['flush_seconds']:.2f} s ({flush['moved']:,} views moved, "
        f"{flush['stored']:,} stored, {flush['rows']:,} aggregate rows); "
        f"left in Redis: {flush['redis_keys_left']}"
    )
    beacon_ok = load.requests_per_second >= TARGET_RPS and load.bad == 0 and stored >= load.requests
    flush_ok = flush["flush_seconds"] < TARGET_FLUSH_SECONDS and flush["stored"] == FLUSH_VIEWS
    print(f"  targets: beacon ≥ {TARGET_RPS}/s, no error, every view stored: {'met' if beacon_ok else 'NOT MET'}")
    print(
        f"  targets: flush of {FLUSH_VIEWS:,} views < {TARGET_FLUSH_SECONDS:.0f} s: {'met' if flush_ok else 'NOT MET'}"
    )


if __name__ == "__main__":
    main()

"""Reader pages through the front cache: Varnish with the project's VCL, against nginx and a default Varnish.

What it does, all on loopback:
1. creates the PostgreSQL database ``vivold_bench_pages`` afresh and seeds 1,000
   published articles (plus drafts and scheduled ones) with topics, authors and
   editors' picks, built from the demo articles' text (bench/seeding.py);
2. starts the production configuration: DJANGO_DEBUG=0, gunicorn with
   gunicorn.conf.py, Redis on a database number of its own, a Celery worker and
   beat (purges go through them), and Varnish in front (deploy/varnish/start.sh);
3. loads each page with wrk (``-t2 -c32``) through Varnish (with its hit ratio from
   varnishstat), then from gunicorn alone (the miss path, front cache bypassed: pages
   come from the page cache, core/pagecache.py), then from a gunicorn with the page
   cache off (every request rendered);
4. serves the very bytes Varnish delivered from nginx (the Debian package's binary,
   unpacked under var/bench/ when nginx is not installed) and from a Varnish with
   its default configuration (``varnishd -b`` in front of that nginx), the upper
   bounds each figure is compared with;
5. counts the SQL queries each page takes when rendered;
6. freshness: edits one article 20 times and times, after each save, how long
   until Varnish serves the edit (median and worst); then schedules an article a
   few seconds ahead and times how long past its time the home page lists it
   (the beat task runs every minute);
7. runs 60 s of article pages picked at random over all 1,000 articles from
   gunicorn alone, and prints the RSS of every gunicorn worker at start and end.

Environment: BENCH_DURATION (seconds per wrk run, 15), BENCH_MEMORY_DURATION (60),
BENCH_EDITS (20), BENCH_SCHEDULED (1; 0 skips the scheduled article, which takes up to
a minute); BENCH_CONNECTIONS (bench/load.py), BENCH_DATABASE_URL and BENCH_REDIS_URL
(bench/environment.py).
"""

import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from .environment import WORK, django_child
from .load import CONNECTIONS, THREADS, Load, rss_kib, wrk_run
from .seeding import ARTICLES, prepare, slug_of_article
from .servers import (
    Server,
    Varnish,
    celery,
    default_varnish,
    free_port,
    get,
    gunicorn,
    nginx_serving,
    project_varnish,
)

DURATION = int(os.environ.get("BENCH_DURATION", "15"))
MEMORY_DURATION = int(os.environ.get("BENCH_MEMORY_DURATION", "60"))
EDITS = int(os.environ.get("BENCH_EDITS", "20"))
SCHEDULED = os.environ.get("BENCH_SCHEDULED", "1") != "0"


def count_queries(paths: list[str]) -> None:
    """Runs in a child process: the SQL queries each path takes when rendered, then when
    asked again (from the page cache)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    result = {}
    for path in paths:
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                status = Client().get(path, secure=True).status_code
            counts.append(len(queries) if status == 200 else None)
        result[path] = counts
    print(json.dumps(result))


def freshness(front: str, slug: str, edits: int) -> None:
    """Runs in a child process with the production settings and FRONT_CACHE_URL:
    edits an article ``edits`` times and, after each save, asks the front cache
    for the page until it shows the edit; prints the delays in seconds."""
    import uuid

    from articles.models import Article

    article = Article.objects.get(slug=slug)
    delays = []
    for n in range(edits):
        get(front + article.get_absolute_url())  # cached before the edit
        marker = f"Edit {n} {uuid.uuid4().hex[:8]}"
        article.dek = marker
        article.save()  # committed; the purge goes through Redis to the worker
        saved = time.monotonic()
        while marker.encode() not in get(front + article.get_absolute_url())[1]:
            if time.monotonic() - saved > 30:
                sys.exit(f"edit {n} not visible through the front cache after 30 s")
            time.sleep(0.005)
        delays.append(time.monotonic() - saved)
    print(json.dumps(delays))


def scheduled(front: str, lead_seconds: int) -> None:
    """Runs in a child process: schedules an article ``lead_seconds`` ahead and
    watches the home page through the front cache (cached before its time) until
    it lists it; prints the delay past its publication time in seconds."""
    from datetime import timedelta

    from django.utils import timezone

    from articles.models import Article, Author

    get(front + "/")
    due = timezone.now() + timedelta(seconds=lead_seconds)
    Article.objects.create(
        title="A scheduled piece for the benchmark",
        slug=f"scheduled-{int(time.time())}",
        dek="Scheduled.",
        key_insights="Appears by itself.",
        body="<p>Scheduled.</p>",
        author=Author.objects.first(),
        status=Article.Status.PUBLISHED,
        published_at=due,
    )
    while b"A scheduled piece for the benchmark" not in get(front + "/")[1]:
        if timezone.now() - due > timedelta(seconds=150):
            sys.exit("the scheduled article was not on the home page 150 s after its time")
        time.sleep(0.25)
    print(json.dumps((timezone.now() - due).total_seconds()))


def _through_front_cache(pages: dict[str, str], varnish: Varnish) -> tuple[dict, dict[str, bytes]]:
    results, bodies = {}, {}
    for name, path in pages.items():
        status, body = get(varnish.base + path)
        if status != 200:
            sys.exit(f"{path} answered {status} through Varnish, not 200: fix the set-up before measuring")
        bodies[name] = body
        print(f"  through Varnish: {name} {path} …", flush=True)
        before = varnish.counters()
        load = wrk_run(varnish.base + path, seconds=DURATION, server=varnish)
        after = varnish.counters()
        hits = after["cache_hit"] - before["cache_hit"]
        lookups = hits + after["cache_miss"] - before["cache_miss"] + after["cache_hitpass"] - before["cache_hitpass"]
        results[name] = (load, hits / lookups if lookups else 0.0)
    return results, bodies


def _miss_path(pages: dict[str, str], server: Server, label: str) -> dict[str, Load]:
    results = {}
    for name, path in pages.items():
        print(f"  gunicorn alone ({label}): {name} {path} …", flush=True)
        results[name] = wrk_run(server.base + path, seconds=DURATION, server=server)
    return results


def _references(bodies: dict[str, bytes]) -> tuple[dict[str, Load], dict[str, Load]]:
    files = {name: f"{name}.{'xml' if name == 'feed' else 'html'}" for name in bodies}
    nginx = nginx_serving({files[name]: body for name, body in bodies.items()})
    try:
        static, default = {}, {}
        for name, body in bodies.items():
            print(f"  nginx: {name} ({len(body):,} bytes) …", flush=True)
            static[name] = wrk_run(f"{nginx.base}/{files[name]}", seconds=DURATION, server=nginx)
        varnish = default_varnish(nginx.base.removeprefix("http://"))
        try:
            for name in bodies:
                print(f"  default Varnish holding the same bytes: {name} …", flush=True)
                get(f"{varnish.base}/{files[name]}")
                default[name] = wrk_run(f"{varnish.base}/{files[name]}", seconds=DURATION, server=varnish)
        finally:
            varnish.stop()
        return static, default
    finally:
        nginx.stop()


def _memory_run(server: Server) -> dict:
    script = WORK / "random_articles.lua"
    slugs = ", ".join(f'"/articles/{slug_of_article(n)}/"' for n in range(1, ARTICLES + 1))
    script.write_text(
        f"local paths = {{{slugs}}}\n"
        "math.randomseed(5)\n"
        "request = function()\n"
        "  return wrk.format(nil, paths[math.random(#paths)])\n"
        "end\n"
    )
    wrk_run(server.base + "/", seconds=5, server=server, script=script)  # every worker has served pages
    workers = server.workers()
    samples = [[rss_kib(pid) for pid in workers]]
    print(f"  memory: {MEMORY_DURATION} s of random article pages from gunicorn alone …", flush=True)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(wrk_run, server.base + "/", seconds=MEMORY_DURATION, server=server, script=script)
        step = max(1, MEMORY_DURATION // 6)
        while not running.done():
            time.sleep(step)
            samples.append([rss_kib(pid) for pid in workers])
        load = running.result()
    samples.append([rss_kib(pid) for pid in workers])
    return {"load": load, "workers": workers, "samples": samples, "step": step}


def _row(label: str, load: Load, nginx: Load | None, extra: str) -> str:
    ratio = f"{load.requests_per_second / nginx.requests_per_second:.1%}" if nginx else "–"
    cpu = f"{load.cpu_ms:.2f}" if load.cpu_ms is not None else "–"
    return (
        f"| {label} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} "
        f"| {load.bad} | {cpu} | {extra} | {ratio} |"
    )


def _report(pages, queries, front, miss, rendered, static, default, fresh, scheduled_delay, memory) -> None:  # noqa: PLR0917
    print()
    load_1, load_5, _ = os.getloadavg()
    print(
        f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s, {os.cpu_count()} cores, {ARTICLES} articles, "
        f"load average at the end {load_1:.1f} (1 min) {load_5:.1f} (5 min)"
    )
    print(
        "| page | requests/s | p50 ms | p99 ms | errors + non-2xx | server CPU ms/request "
        "| hit ratio / queries | of nginx |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in pages:
        load, hit_ratio = front[name]
        print(_row(f"{name}, through Varnish (project VCL)", load, static[name], f"{hit_ratio:.2%} hits"))
        print(_row(f"{name}, same bytes from a default Varnish", default[name], static[name], "–"))
        print(_row(f"{name}, same bytes from nginx", static[name], None, "–"))
        rendering, cached = queries[pages[name]]
        print(_row(f"{name}, miss: gunicorn alone (page cache)", miss[name], static[name], f"{cached} queries"))
        print(_row(f"{name}, rendered: page cache off", rendered[name], static[name], f"{rendering} queries"))
    print()
    print(
        f"freshness: {len(fresh)} edits, visible through Varnish after median "
        f"{statistics.median(fresh) * 1000:.0f} ms, worst {max(fresh) * 1000:.0f} ms "
        "(save to first page showing it, purge through Redis and a Celery worker)"
    )
    if scheduled_delay is not None:
        print(
            f"scheduled article on the home page {scheduled_delay:.1f} s after its publication time (beat every 60 s)"
        )
    load = memory["load"]
    print()
    print(
        f"memory: {MEMORY_DURATION} s of random article pages from gunicorn alone "
        f"({load.requests_per_second:,.0f} requests/s, p99 {load.p99_ms:.1f} ms, {load.bad} errors + non-2xx)"
    )
    print(f"  RSS of each worker (MiB), sampled about every {memory['step']} s from start to end:")
    for index, pid in enumerate(memory["workers"]):
        series = [sample[index] / 1024 for sample in memory["samples"]]
        print(f"  worker {pid}: " + " → ".join(f"{mib:.1f}" for mib in series) + f"  ({series[-1] - series[0]:+.1f})")


def main() -> None:
    prepare()
    article = "/articles/" + slug_of_article(500) + "/"
    pages = {"article": article, "home": "/", "feed": "/feed/"}
    queries = json.loads(
        django_child(
            f"from bench.bench_pages import count_queries; count_queries({list(pages.values())!r})"
        ).splitlines()[-1]
    )
    varnish_port = free_port()
    front_url = f"http://127.0.0.1:{varnish_port}"
    front_env = {"FRONT_CACHE_URL": front_url, "DJANGO_BEHIND_PROXY": "1"}
    server = gunicorn(**front_env)
    worker = celery(
        "worker", "--pool", "threads", "--concurrency", "2", "--without-gossip", "--without-mingle", **front_env
    )
    beat = celery("beat", "-s", str(WORK / "celerybeat-schedule"), **front_env) if SCHEDULED else None
    varnish = None
    try:
        varnish = project_varnish(server.base.removeprefix("http://"), varnish_port)
        front, bodies = _through_front_cache(pages, varnish)
        miss = _miss_path(pages, server, "miss")
        print(f"  freshness: {EDITS} edits …", flush=True)
        fresh = json.loads(
            django_child(
                f"from bench.bench_pages import freshness; freshness({front_url!r}, {slug_of_article(500)!r}, {EDITS})",
                **front_env,
            ).splitlines()[-1]
        )
        scheduled_delay = None
        if SCHEDULED:
            print("  scheduled article (up to a minute) …", flush=True)
            scheduled_delay = json.loads(
                django_child(
                    f"from bench.bench_pages import scheduled; scheduled({front_url!r}, 5)", **front_env
                ).splitlines()[-1]
            )
        memory = _memory_run(server)
    finally:
        for process in (varnish, beat, worker, server):
            if process is not None:
                process.stop()
    rendering = gunicorn(PAGE_CACHE_SECONDS="0")
    try:
        rendered = _miss_path(pages, rendering, "page cache off")
    finally:
        rendering.stop()
    static, default = _references(bodies)
    _report(pages, queries, front, miss, rendered, static, default, fresh, scheduled_delay, memory)


if __name__ == "__main__":
    main()

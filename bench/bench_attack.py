"""Under attack: a normal reader while 16 slow clients and 4 worst-case searches run, against the same run without.

What it does, all on loopback, against the production configuration (DJANGO_DEBUG=0,
gunicorn with gunicorn.conf.py, PostgreSQL, Redis), on the articles bench/seeding.py seeds:
1. times each worst-case search alone (the word "ai" 166 times, the issue's shape; twelve
   frequent words joined by "or", the costliest query the bounds still let through);
2. loads one article page from gunicorn alone with wrk (``-t2 -c8``) for BENCH_DURATION seconds,
   alone, then with 16 slow clients (half send their headers, half a POST body, one byte
   every 0.5 s, reconnecting when the server drops them), then with 4 clients each running
   worst-case searches back to back (each from its own address, as from many machines:
   the per-client limit is not what is measured), then with both; meanwhile a probe asks
   for the article every half second and keeps the slowest answer;
3. the same attack against the threaded worker (GUNICORN_WORKER_CLASS=gthread), the
   configuration before it, for comparison;
4. serves the article's bytes from nginx under the same wrk run, as the upper bound.

Environment: BENCH_DURATION (seconds per run, 15), and BENCH_DATABASE_URL and BENCH_REDIS_URL
(bench/environment.py).
"""

import math
import os
import random
import socket
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from .environment import PROXY_HEADERS
from .load import Load, wrk_command, wrk_read
from .seeding import ARTICLES, prepare, slug_of_article
from .servers import Server, get, gunicorn, nginx_serving
from .slow_clients import dripping, in_background, slow_connection

DURATION = int(os.environ.get("BENCH_DURATION", "15"))
READERS = 8
SLOW_CLIENTS = 16
SEARCHERS = 4
WORST_SEARCHES = {
    "one word 166 times": "ai " * 166,
    "12 frequent words, or": " or ".join(
        "model data agents open access agent meta assistant system power user cost".split()
    ),
}
# Each searcher and the probe present an address of their own, as a proxy in front would say.
SERVER_ENV = {"DJANGO_BEHIND_PROXY": "1"}


@dataclass
class Run:
    label: str
    load: Load
    timeouts: int
    probe_max_ms: float
    probe_failures: int
    searches: list[tuple[int, float]] = field(default_factory=list)  # (status, ms)
    slow_dropped: int = 0


def _request(url: str, *, timeout: float = 30, forwarded_for: str = "198.51.100.1") -> tuple[int, float]:
    headers = {**PROXY_HEADERS, "X-Forwarded-For": forwarded_for}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own loopback server
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def _server(worker_class: str | None = None) -> Server:
    extra = dict(SERVER_ENV)
    if worker_class:
        extra["GUNICORN_WORKER_CLASS"] = worker_class
    return gunicorn(log="gunicorn-attack.log", **extra)


@contextmanager
def slow_clients(base: str, count: int = SLOW_CLIENTS) -> Iterator[list[int]]:
    """`count` connections sending a request a byte every 0.5 s (half a head, half a POST body);
    one the server drops is opened again. Yields the drops so far."""

    def connect(n: int) -> socket.socket | None:
        try:
            return slow_connection(base, body=n % 2 == 1, body_length=100_000)
        except OSError:
            return None

    with dripping([connect(n) for n in range(count)], reconnect=connect) as dropped:
        yield dropped


@contextmanager
def worst_searches(base: str, count: int = SEARCHERS) -> Iterator[list[tuple[int, float]]]:
    """`count` clients each running the worst-case searches back to back."""
    results: list[tuple[int, float]] = []
    queries = list(WORST_SEARCHES.values())

    def searcher(n: int) -> Callable[[threading.Event], None]:
        def search(stop: threading.Event) -> None:
            rng = random.Random(n)
            while not stop.is_set():
                query = urllib.parse.quote_plus(queries[len(results) % len(queries)])
                address = f"203.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                results.append(_request(f"{base}/search/?q={query}", forwarded_for=address))

        return search

    with in_background(*(searcher(n) for n in range(count))):
        yield results


@contextmanager
def probe(url: str) -> Iterator[list[tuple[int, float]]]:
    """Ask for `url` every half second (with a 10 s patience) and keep every answer."""
    answers: list[tuple[int, float]] = []

    def ask(stop: threading.Event) -> None:
        while not stop.wait(0.5):
            answers.append(_request(url, timeout=10, forwarded_for="192.0.2.50"))

    with in_background(ask):
        yield answers


def _wrk(url: str) -> tuple[Load, int]:
    command = [*wrk_command(connections=READERS, seconds=DURATION), "--timeout", "5s"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    load, timeouts = wrk_read(output)
    if not load.requests:
        load = replace(load, p50_ms=math.nan, p99_ms=math.nan)
    return load, timeouts


def _run(label: str, server: Server, article: str, *, slow: bool, searches: bool) -> Run:
    print(f"  {label} …", flush=True)
    url = server.base + article
    with (
        slow_clients(server.base) if slow else _nothing() as dropped,
        worst_searches(server.base) if searches else _nothing() as found,
        probe(url) as answers,
    ):
        time.sleep(1 if slow or searches else 0)  # the attack is under way before the readers come
        load, timeouts = _wrk(url)
    ok = [ms for status, ms in answers if status == 200]
    return Run(
        label=label,
        load=load,
        timeouts=timeouts,
        probe_max_ms=max(ok) if ok else float("nan"),
        probe_failures=len(answers) - len(ok),
        searches=list(found),
        slow_dropped=len(dropped),
    )


@contextmanager
def _nothing() -> Iterator[list]:
    yield []


def _searches_alone(server: Server) -> dict[str, list[tuple[int, float]]]:
    timings = {}
    for name, query in WORST_SEARCHES.items():
        url = f"{server.base}/search/?q={urllib.parse.quote_plus(query)}"
        timings[name] = [_request(url, forwarded_for=f"203.0.113.{n + 1}") for n in range(5)]
    return timings


def _search_summary(results: list[tuple[int, float]]) -> str:
    if not results:
        return "–"
    statuses = sorted({status for status, _ in results})
    counts = ", ".join(f"{sum(1 for s, _ in results if s == status)}×{status}" for status in statuses)
    return f"{counts}; max {max(ms for _, ms in results) / 1000:.2f} s"


def _report(alone: dict, runs: list[Run], nginx: Load) -> None:
    print()
    print(f"{os.cpu_count()} cores, {ARTICLES} articles, wrk -t2 -c{READERS} -d{DURATION}s on one article page")
    print("worst-case searches, one at a time (5 each):")
    for name, results in alone.items():
        median = statistics.median(ms for _, ms in results) / 1000
        print(f"  {name}: median {median:.2f} s ({_search_summary(results)})")
    print()
    print(
        "| run | reader requests/s | p50 ms | p99 ms | timeouts | probe: slowest answer ms (failed) "
        "| worst searches meanwhile | slow clients dropped | of nginx |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for run in runs:
        load = run.load
        print(
            f"| {run.label} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} "
            f"| {run.timeouts} | {run.probe_max_ms:,.0f} ({run.probe_failures}) | {_search_summary(run.searches)} "
            f"| {run.slow_dropped} | {load.requests_per_second / nginx.requests_per_second:.1%} |"
        )
    static = f"{nginx.requests_per_second:,.0f} | {nginx.p50_ms:.1f} | {nginx.p99_ms:.1f}"
    print(f"| same bytes from nginx | {static} | | | | | |")


def main() -> None:
    prepare()
    article = "/articles/" + slug_of_article(500) + "/"
    runs: list[Run] = []
    server = _server()
    try:
        status, body = get(server.base + article)
        if status != 200:
            raise SystemExit(f"{article} answered {status}, not 200: fix the set-up before measuring")
        print("  worst-case searches, one at a time …", flush=True)
        alone = _searches_alone(server)
        runs.append(_run("gevent: readers alone", server, article, slow=False, searches=False))
        runs.append(_run("gevent: + 16 slow clients", server, article, slow=True, searches=False))
        runs.append(_run("gevent: + 4 worst searches", server, article, slow=False, searches=True))
        runs.append(_run("gevent: + both", server, article, slow=True, searches=True))
    finally:
        server.stop()
    server = _server("gthread")
    try:
        runs.append(_run("gthread (before): readers alone", server, article, slow=False, searches=False))
        runs.append(_run("gthread (before): + 16 slow clients", server, article, slow=True, searches=False))
    finally:
        server.stop()
    nginx = nginx_serving({"article.html": body})
    try:
        print("  static: the same bytes from nginx …", flush=True)
        nginx_load, _ = _wrk(f"{nginx.base}/article.html")
    finally:
        nginx.stop()
    _report(alone, runs, nginx_load)


if __name__ == "__main__":
    main()

"""Reader pages through the front cache: Varnish with the project's VCL, against nginx and a default Varnish.

What it does, all on loopback:
1. creates the PostgreSQL database ``vivold_bench_pages`` afresh and seeds 1,000
   published articles (plus drafts and scheduled ones) with topics, authors and
   editors' picks, built from the demo articles' text;
2. starts the production configuration: DJANGO_DEBUG=0, gunicorn with
   gunicorn.conf.py, Redis on a database number of its own, a Celery worker and
   beat (purges go through them), and Varnish in front (deploy/varnish/start.sh);
3. loads each page with wrk (``-t2 -c32``) through Varnish (with its hit ratio from
   varnishstat), then from gunicorn alone (the miss path, front cache bypassed);
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
BENCH_CONNECTIONS (32), BENCH_EDITS (20), BENCH_SCHEDULED (1; 0 skips the scheduled
article, which takes up to a minute), BENCH_DATABASE_URL
(postgres://postgres@127.0.0.1:5432/vivold_bench_pages), BENCH_REDIS_URL
(redis://127.0.0.1:6379/12).
"""

import json
import os
import re
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
PY = sys.executable
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
MEMORY_DURATION = int(os.environ.get("BENCH_MEMORY_DURATION", "60"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
EDITS = int(os.environ.get("BENCH_EDITS", "20"))
SCHEDULED = os.environ.get("BENCH_SCHEDULED", "1") != "0"
THREADS = 2
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vivold_bench_pages")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ARTICLES = 1000
# Production settings may redirect plain HTTP to HTTPS: requests arrive as if from
# a TLS-terminating proxy on loopback, which gunicorn trusts.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


# Tools ------------------------------------------------------------------------


def _wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        print("wrk is missing: installing the Debian package", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        path = shutil.which("wrk")
    if path is None:
        sys.exit("bench_pages needs wrk: apt-get install wrk")
    return path


def _nginx() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if path:
        return path
    unpacked = WORK / "nginx-root" / "usr" / "sbin" / "nginx"
    if not unpacked.exists():
        print("nginx is missing: unpacking the Debian package's binary under var/bench/", flush=True)
        download = WORK / "deb"
        download.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "nginx"], cwd=download, check=True, capture_output=True)
        deb = next(download.glob("nginx_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(WORK / "nginx-root")], check=True)
    return str(unpacked)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(*, database_url: str = DATABASE_URL, redis_url: str = REDIS_URL, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "FRONT_CACHE", "GUNICORN_", "PYTEST"))
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=BENCH_SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SITE_URL="https://127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


BENCH_SECRET = secrets.token_urlsafe(50)


def _manage(*args: str, **extra: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=_env(**extra), check=True, capture_output=True, text=True
    )
    return done.stdout


def _get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=PROXY_HEADERS)  # noqa: S310 - our own loopback servers
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


# Database ---------------------------------------------------------------------


def _recreate_database(database_url: str = DATABASE_URL) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed() -> None:
    """Runs in a child process with Django set up on the bench database."""
    import random
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from articles.demo_content import ARTICLES as DEMO
    from articles.demo_content import AUTHORS, TOPICS
    from articles.models import Article, Author, RelatedArticle, Topic

    rng = random.Random(5)
    now = timezone.now()
    with transaction.atomic():
        topics = [Topic.objects.create(name=t["name"], slug=t["slug"], description=t["description"]) for t in TOPICS]
        topics += [Topic.objects.create(name=f"Sector {n}", slug=f"sector-{n}") for n in range(1, 9)]
        authors = [Author.objects.create(name=a["name"], slug=a["slug"], role=a["role"]) for a in AUTHORS]
        articles = []
        for n in range(ARTICLES + 30):
            demo = DEMO[n % len(DEMO)]
            if n < ARTICLES:
                status, published_at = Article.Status.PUBLISHED, now - timedelta(hours=n * 7 + 1)
            elif n < ARTICLES + 20:
                status, published_at = Article.Status.DRAFT, None
            else:
                status, published_at = Article.Status.PUBLISHED, now + timedelta(days=n - ARTICLES)
            article = Article(
                title=f"{demo['title']} ({n + 1})",
                slug=f"{demo['slug']}-{n + 1}",
                dek=demo["dek"],
                key_insights=demo["key_insights"],
                body=demo["body"],
                author=rng.choice(authors),
                status=status,
                published_at=published_at,
            )
            article.save()
            article.topics.set(rng.sample(topics, rng.randint(1, 3)))
            articles.append(article)
        published = articles[:ARTICLES]
        RelatedArticle.objects.bulk_create(
            RelatedArticle(article=article, related=other, position=position)
            for article in articles
            for position, other in enumerate(rng.sample([a for a in published if a != article], 3))
        )


def count_queries(paths: list[str]) -> None:
    """Runs in a child process: the SQL queries each path takes when rendered."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    result = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            status = Client().get(path, secure=True).status_code
        result[path] = len(queries) if status == 200 else None
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
        _get(front + article.get_absolute_url())  # cached before the edit
        marker = f"Edit {n} {uuid.uuid4().hex[:8]}"
        article.dek = marker
        article.save()  # committed; the purge goes through Redis to the worker
        saved = time.monotonic()
        while marker.encode() not in _get(front + article.get_absolute_url())[1]:
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

    _get(front + "/")
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
    while b"A scheduled piece for the benchmark" not in _get(front + "/")[1]:
        if timezone.now() - due > timedelta(seconds=150):
            sys.exit("the scheduled article was not on the home page 150 s after its time")
        time.sleep(0.25)
    print(json.dumps((timezone.now() - due).total_seconds()))


# Servers ----------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    base: str

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return sorted(int(pid) for pid in children)

    def pids(self) -> list[int]:
        return [self.process.pid, *self.workers()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until_up(base: str, path: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server at {base} stopped during start-up (exit {process.returncode})")
        try:
            _get(base + path)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the server at {base} did not answer within 60 s")


def _gunicorn(*, base_env: dict[str, str] | None = None, log: str = "gunicorn.log", **extra: str) -> Server:
    """The production server on a free port, once every worker listens; `base_env` (default
    `_env()`) is the environment the other benchmarks give theirs."""
    port = _free_port()
    env = {**(_env() if base_env is None else base_env), "GUNICORN_BIND": f"127.0.0.1:{port}", **extra}
    WORK.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "vivold.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(WORK / log).open("a"),
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base, "/healthz", process)
    server = Server(process, base)
    _wait_until_every_worker_listens(server, port, env)
    return server


def _wait_until_every_worker_listens(server: Server, port: int, env: dict[str, str]) -> None:
    """Each worker opens its own listening socket (SO_REUSEPORT) once forked.

    The first answer only shows that one worker is up; connections opened before
    the others listen would all stay on that one, for the whole run.
    """
    with patch.dict(os.environ, env, clear=True):
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    workers = config["workers"]
    sockets = workers if config["reuse_port"] else 1
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(server.workers()) == workers and _listening_sockets(port) == sockets:
            return
        time.sleep(0.1)
    sys.exit(f"the {workers} gunicorn workers did not all listen on port {port} within 60 s")


def _listening_sockets(port: int) -> int:
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                count += 1
    return count


def _nginx_serving(files: dict[str, bytes]) -> Server:
    root = Path(tempfile.mkdtemp(prefix="nginx-", dir=WORK))
    root.chmod(0o755)  # nginx's workers run as an unprivileged user
    (root / "html").mkdir()
    for name, content in files.items():
        (root / "html" / name).write_bytes(content)
    port = _free_port()
    (root / "nginx.conf").write_text(
        f"""
daemon off;
worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {root}/scratch;
    proxy_temp_path {root}/scratch;
    fastcgi_temp_path {root}/scratch;
    uwsgi_temp_path {root}/scratch;
    scgi_temp_path {root}/scratch;
    types {{ text/html html; }}
    server {{
        listen 127.0.0.1:{port};
        root {root}/html;
    }}
}}
"""
    )
    process = subprocess.Popen(
        [_nginx(), "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base, "/" + next(iter(files)), process)
    return Server(process, base)


# Load -------------------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    cpu_ms: float | None = None  # server CPU (all processes) per request


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        sys.exit(f"cannot read wrk's latency {text!r}")
    number, unit = found.groups()
    return float(number) * _UNITS[unit]


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _wrk_run(url: str, *, seconds: int, server: "Server", script: Path | None = None) -> Load:
    command = [_wrk(), f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for header, value in PROXY_HEADERS.items():
        command += ["-H", f"{header}: {value}"]
    if script:
        command += ["-s", str(script)]
    pids = server.pids()
    cpu_before = _cpu_seconds(pids)
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    if not re.search(r"^ +99% +\S+\s*$", output, re.MULTILINE):
        sys.exit(f"wrk printed no latency distribution for {url}:\n{output}")
    cpu = _cpu_seconds(pids) - cpu_before
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        # The latency distribution's lines, not a thread-statistics column ending in 50%.
        p50_ms=_ms(re.search(r"^ +50% +(\S+)\s*$", output, re.MULTILINE).group(1)),
        p99_ms=_ms(re.search(r"^ +99% +(\S+)\s*$", output, re.MULTILINE).group(1)),
        requests=requests,
        bad=(int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
        cpu_ms=cpu * 1000 / requests if requests else None,
    )


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# Front cache -------------------------------------------------------------------


def _varnishd() -> str:
    path = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if path is None:
        sys.exit("bench_pages needs varnishd: apt-get install varnish varnish-modules")
    return path


@dataclass
class Varnish(Server):
    workdir: Path = Path()

    def counters(self) -> dict[str, int]:
        output = subprocess.run(
            ["varnishstat", "-n", str(self.workdir), "-1", "-j"], check=True, capture_output=True, text=True
        ).stdout
        data = json.loads(output)
        counters = data.get("counters", data)
        return {name: counters[f"MAIN.{name}"]["value"] for name in ("cache_hit", "cache_miss", "cache_hitpass")}


def _project_varnish(backend: str, port: int) -> Varnish:
    workdir = Path(tempfile.mkdtemp(prefix="varnish-", dir=WORK))
    env = {
        **os.environ,
        "FRONT_PORT": str(port),
        "FRONT_ADDRESS": "127.0.0.1",
        "BACKEND": backend,
        "VARNISH_WORKDIR": str(workdir),
    }
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "varnish" / "start.sh")],
        env=env,
        stdout=(WORK / "varnish.log").open("a"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base, "/healthz", process)
    return Varnish(process, base, workdir=workdir / "state")


def _default_varnish(backend: str) -> Varnish:
    """varnishd with its built-in VCL (``-b``): the reference of what Varnish can do here."""
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="varnish-default-", dir=WORK))
    workdir.chmod(0o755)  # varnishd's VCL compiler runs as an unprivileged user
    workdir = workdir / "state"
    process = subprocess.Popen(
        [_varnishd(), "-F", "-n", str(workdir), "-a", f"127.0.0.1:{port}", "-b", backend, "-s", "malloc,256m"],
        stdout=(WORK / "varnish.log").open("a"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base, "/", process)
    return Varnish(process, base, workdir=workdir)


def _celery(*args: str, **extra: str) -> Server:
    process = subprocess.Popen(
        [PY, "-m", "celery", "-A", "vivold", *args],
        cwd=ROOT,
        env=_env(**extra),
        stdout=subprocess.DEVNULL,
        stderr=(WORK / "celery.log").open("a"),
    )
    return Server(process, "")


# Runs -------------------------------------------------------------------------


def _prepare() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    _wrk(), _nginx(), _varnishd()
    print(f"seeding {ARTICLES} articles in {DATABASE_URL.rsplit('/', 1)[1]} …", flush=True)
    _recreate_database()
    _manage("migrate", "--no-input", "-v", "0")
    _manage("collectstatic", "--no-input", "-v", "0")
    _django_child("from bench.bench_pages import seed; seed()")
    _analyze()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _analyze() -> None:
    """Planner statistics and the visibility map (which index-only scans rely on), as
    autovacuum keeps them on a database in service."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _django_child(code: str, **extra: str) -> str:
    return subprocess.run(
        [PY, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_env(DJANGO_SETTINGS_MODULE="vivold.settings", **extra),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _through_front_cache(pages: dict[str, str], varnish: Varnish) -> tuple[dict, dict[str, bytes]]:
    results, bodies = {}, {}
    for name, path in pages.items():
        status, body = _get(varnish.base + path)
        if status != 200:
            sys.exit(f"{path} answered {status} through Varnish, not 200: fix the set-up before measuring")
        bodies[name] = body
        print(f"  through Varnish: {name} {path} …", flush=True)
        before = varnish.counters()
        load = _wrk_run(varnish.base + path, seconds=DURATION, server=varnish)
        after = varnish.counters()
        hits = after["cache_hit"] - before["cache_hit"]
        lookups = hits + after["cache_miss"] - before["cache_miss"] + after["cache_hitpass"] - before["cache_hitpass"]
        results[name] = (load, hits / lookups if lookups else 0.0)
    return results, bodies


def _miss_path(pages: dict[str, str], server: Server) -> dict[str, Load]:
    results = {}
    for name, path in pages.items():
        print(f"  gunicorn alone (miss): {name} {path} …", flush=True)
        results[name] = _wrk_run(server.base + path, seconds=DURATION, server=server)
    return results


def _references(bodies: dict[str, bytes]) -> tuple[dict[str, Load], dict[str, Load]]:
    files = {name: f"{name}.{'xml' if name == 'feed' else 'html'}" for name in bodies}
    nginx = _nginx_serving({files[name]: body for name, body in bodies.items()})
    try:
        static, default = {}, {}
        for name, body in bodies.items():
            print(f"  nginx: {name} ({len(body):,} bytes) …", flush=True)
            static[name] = _wrk_run(f"{nginx.base}/{files[name]}", seconds=DURATION, server=nginx)
        varnish = _default_varnish(nginx.base.removeprefix("http://"))
        try:
            for name in bodies:
                print(f"  default Varnish holding the same bytes: {name} …", flush=True)
                _get(f"{varnish.base}/{files[name]}")
                default[name] = _wrk_run(f"{varnish.base}/{files[name]}", seconds=DURATION, server=varnish)
        finally:
            varnish.stop()
        return static, default
    finally:
        nginx.stop()


def _memory_run(server: Server) -> dict:
    script = WORK / "random_articles.lua"
    slugs = ", ".join(f'"/articles/{_slug_of_article(n)}/"' for n in range(1, ARTICLES + 1))
    script.write_text(
        f"local paths = {{{slugs}}}\n"
        "math.randomseed(5)\n"
        "request = function()\n"
        "  return wrk.format(nil, paths[math.random(#paths)])\n"
        "end\n"
    )
    _wrk_run(server.base + "/", seconds=5, server=server, script=script)  # every worker has served pages
    workers = server.workers()
    samples = [[_rss_kib(pid) for pid in workers]]
    print(f"  memory: {MEMORY_DURATION} s of random article pages from gunicorn alone …", flush=True)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(_wrk_run, server.base + "/", seconds=MEMORY_DURATION, server=server, script=script)
        step = max(1, MEMORY_DURATION // 6)
        while not running.done():
            time.sleep(step)
            samples.append([_rss_kib(pid) for pid in workers])
        load = running.result()
    samples.append([_rss_kib(pid) for pid in workers])
    return {"load": load, "workers": workers, "samples": samples, "step": step}


def _slug_of_article(n: int) -> str:
    from articles.demo_content import ARTICLES as DEMO

    return f"{DEMO[(n - 1) % len(DEMO)]['slug']}-{n}"


# Report -----------------------------------------------------------------------


def _row(label: str, load: Load, nginx: Load | None, extra: str) -> str:
    ratio = f"{load.requests_per_second / nginx.requests_per_second:.1%}" if nginx else "–"
    cpu = f"{load.cpu_ms:.2f}" if load.cpu_ms is not None else "–"
    return (
        f"| {label} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} "
        f"| {load.bad} | {cpu} | {extra} | {ratio} |"
    )


def _report(pages, queries, front, miss, static, default, fresh, scheduled_delay, memory) -> None:  # noqa: PLR0917
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
        print(_row(f"{name}, miss: gunicorn alone", miss[name], static[name], f"{queries[pages[name]]} queries"))
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
    _prepare()
    article = "/articles/" + _slug_of_article(500) + "/"
    pages = {"article": article, "home": "/", "feed": "/feed/"}
    queries = json.loads(
        _django_child(
            f"from bench.bench_pages import count_queries; count_queries({list(pages.values())!r})"
        ).splitlines()[-1]
    )
    varnish_port = _free_port()
    front_url = f"http://127.0.0.1:{varnish_port}"
    front_env = {"FRONT_CACHE_URL": front_url, "DJANGO_BEHIND_PROXY": "1"}
    server = _gunicorn(**front_env)
    worker = _celery(
        "worker", "--pool", "threads", "--concurrency", "2", "--without-gossip", "--without-mingle", **front_env
    )
    beat = _celery("beat", "-s", str(WORK / "celerybeat-schedule"), **front_env) if SCHEDULED else None
    varnish = None
    try:
        varnish = _project_varnish(server.base.removeprefix("http://"), varnish_port)
        front, bodies = _through_front_cache(pages, varnish)
        miss = _miss_path(pages, server)
        print(f"  freshness: {EDITS} edits …", flush=True)
        fresh = json.loads(
            _django_child(
                "from bench.bench_pages import freshness; "
                f"freshness({front_url!r}, {_slug_of_article(500)!r}, {EDITS})",
                **front_env,
            ).splitlines()[-1]
        )
        scheduled_delay = None
        if SCHEDULED:
            print("  scheduled article (up to a minute) …", flush=True)
            scheduled_delay = json.loads(
                _django_child(
                    f"from bench.bench_pages import scheduled; scheduled({front_url!r}, 5)", **front_env
                ).splitlines()[-1]
            )
        memory = _memory_run(server)
    finally:
        for process in (varnish, beat, worker, server):
            if process is not None:
                process.stop()
    static, default = _references(bodies)
    _report(pages, queries, front, miss, static, default, fresh, scheduled_delay, memory)


if __name__ == "__main__":
    main()

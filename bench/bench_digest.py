"""Digest delivery: 100,000 subscribers through real Celery workers, Redis, PostgreSQL and a counting SMTP sink.

Creates (and drops at the end) its own PostgreSQL database, starts one Celery worker
process per core (thread pool) on the Redis broker and a minimal asyncio SMTP server in
its own process on loopback that counts every recipient. It sends the weekly digest
twice: to a tenth of the list, then to the whole list, each time with freshly started
workers, and prints mails per second, wall time, the workers' peak memory (RSS) at
both sizes, and the duplicate and missing recipients counted at the sink.

Environment: DIGEST_BENCH_SUBSCRIBERS (default 100000), DIGEST_BENCH_WORKERS (default:
one per core), DIGEST_BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/vivold_bench_digest), DIGEST_BENCH_REDIS_URL
(default redis://127.0.0.1:6379/14, a Redis database of its own: its queue is purged).
"""

import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
# Delivery waits on the SMTP server and the database far more than it computes, so each
# worker process runs several delivery lanes in threads.
THREADS = int(os.environ.get("DIGEST_BENCH_THREADS", "4"))
WORKER_LOG = Path(tempfile.gettempdir()) / "vivold-bench-digest-workers.log"


class _SinkProtocol(asyncio.Protocol):
    """Just enough ESMTP for smtplib, counting the recipients of accepted mails."""

    def __init__(self, counts: Counter):
        self.counts = counts
        self.buffer = b""
        self.in_data = False
        self.recipients: list[str] = []

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:  # noqa: PLR0912 (one branch per SMTP verb)
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                self.counts.update(self.recipients)
                self.recipients = []
                self.transport.write(b"250 2.0.0 queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.transport.write(b"250-sink\r\n250-8BITMIME\r\n250 PIPELINING\r\n")
            elif verb == b"RCPT":
                self.recipients.append(line.partition(b"<")[2].partition(b">")[0].decode().lower())
                self.transport.write(b"250 OK\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.transport.write(b"354 go ahead\r\n")
                # The message may have arrived in the same packet: the loop handles it.
                self.buffer = b"\r\n" + self.buffer
            elif verb in (b"MAIL", b"RSET"):
                self.recipients = []
                self.transport.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
                return
            else:  # HELO, NOOP and the rest
                self.transport.write(b"250 OK\r\n")


def _sink_main(port_pipe, control) -> None:
    counts: Counter = Counter()

    async def serve():
        server = await asyncio.get_running_loop().create_server(lambda: _SinkProtocol(counts), "127.0.0.1", 0)
        port_pipe.send(server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, control.recv)
            if command == "total":
                control.send(sum(counts.values()))
            elif command == "counts":
                control.send(dict(counts))
            elif command == "reset":
                counts.clear()
                control.send(True)
            elif command == "stop":
                server.close()
                control.send(True)
                return

    asyncio.run(serve())


class Sink:
    def __init__(self):
        context = multiprocessing.get_context("spawn")
        port_here, port_there = context.Pipe()
        self.control, control_there = context.Pipe()
        self.process = context.Process(target=_sink_main, args=(port_there, control_there), daemon=True)
        self.process.start()
        self.port = port_here.recv()

    def ask(self, command: str):
        self.control.send(command)
        return self.control.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(5)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _recreate_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "vivold", "worker"),
                *("--pool", "threads", "--concurrency", str(THREADS)),
                *("--loglevel", "WARNING", "--hostname", f"bench-digest-{n}@%h"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=WORKER_LOG.open("ab"),
            stderr=subprocess.STDOUT,
        )
        for n in range(count)
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _seed(size: int) -> None:
    """Subscribers bench0…bench<size-1>, active and weekly; every third chose one topic."""
    from django.db import connection

    from newsletter.models import Subscriber

    have = Subscriber.objects.count()
    if have >= size:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO newsletter_subscriber (email, email_normalized, status, cadence, created_at, "
            "consent_source, hard_bounces) "
            "SELECT 'bench' || n || '@example.com', 'bench' || n || '@example.com', 'active', 'weekly', now(), '', 0 "
            "FROM generate_series(%s, %s) AS n",
            [have, size - 1],
        )
        cursor.execute(
            "INSERT INTO newsletter_subscriber_topics (subscriber_id, topic_id) "
            "SELECT s.id, (SELECT min(id) FROM articles_topic) + s.id %% 4 FROM newsletter_subscriber s "
            "WHERE s.id %% 3 = 0 AND s.id > (SELECT coalesce(max(subscriber_id), 0) FROM newsletter_subscriber_topics)",
            [],
        )


def _round(size: int, workers: int, env: dict, sink: Sink) -> dict:
    from django.utils import timezone

    from digests.models import Delivery, Digest
    from digests.services import digests_due_send
    from vivold.celery import app

    _seed(size)
    Delivery.objects.all().delete()
    Digest.objects.all().delete()
    app.control.purge()
    sink.ask("reset")
    processes = _start_workers(workers, env)
    try:
        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=0.5)) < workers and time.monotonic() < deadline:
            pass
        started = time.perf_counter()
        digest = digests_due_send(cadence="weekly", now=timezone.now())
        while Digest.objects.filter(pk=digest.pk).values_list("status", flat=True).get() != Digest.Status.SENT:
            time.sleep(0.05)
        wall = time.perf_counter() - started
        # Every accepted mail has reached the sink before its row was marked sent.
        peak = max(_peak_rss_mb(p.pid) for p in processes)
    finally:
        _stop(processes)
    counts = sink.ask("counts")
    expected = {f"bench{n}@example.com" for n in range(size)}
    return {
        "size": size,
        "wall": wall,
        "sent": sum(counts.values()),
        "rate": sum(counts.values()) / wall,
        "peak_rss_mb": peak,
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "missing": len(expected - counts.keys()),
        "unexpected": len(counts.keys() - expected),
    }


def _child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from articles.models import Article, Author, Topic
    from digests.building import digest_slot

    size = int(os.environ.get("DIGEST_BENCH_SUBSCRIBERS", "100000"))
    workers = int(os.environ.get("DIGEST_BENCH_WORKERS", os.cpu_count() or 2))
    call_command("migrate", verbosity=0)
    topics = [Topic.objects.create(name=f"Topic {n}", slug=f"topic-{n}") for n in range(4)]
    author = Author.objects.create(name="Bench Analyst", slug="bench-analyst")
    slot = digest_slot(cadence="weekly", now=timezone.now())
    for n in range(8):
        article = Article.objects.create(
            title=f"Bench insight {n}: what changes for buyers this quarter",
            slug=f"bench-insight-{n}",
            dek="Why it matters.",
            key_insights="A paragraph of key insights, long enough to look like a real summary. " * 3,
            body="<p>Body.</p>",
            author=author,
            status=Article.Status.PUBLISHED,
            published_at=slot - timedelta(hours=n + 1),
        )
        article.topics.set([topics[n % 4]])
    sink = Sink()
    env = {
        **os.environ,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "DIGEST_SEND_LANES": str(workers * THREADS),
    }
    try:
        rounds = [_round(max(1, size // 10), workers, env, sink), _round(size, workers, env, sink)]
    finally:
        sink.stop()
    print(f"(worker output: {WORKER_LOG})")
    print(
        f"machine: {os.cpu_count()} cores, {workers} worker processes ({THREADS} threads each), "
        "PostgreSQL, Redis, loopback SMTP"
    )
    for r in rounds:
        print(
            f"{r['size']:>7} subscribers: {r['sent']:>7} mails in {r['wall']:6.1f} s = {r['rate']:7.0f} mails/s; "
            f"worker peak RSS {r['peak_rss_mb']:.0f} MB; duplicates {r['duplicates']}, missing {r['missing']}, "
            f"unexpected {r['unexpected']}"
        )
    small, large = rounds
    print(
        f"memory ratio {large['size']}/{small['size']} subscribers: {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}"
        f" (1.00 = flat); rate ratio {large['rate'] / small['rate']:.2f}"
    )


def main() -> None:
    database_url = os.environ.get("DIGEST_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vivold_bench_digest")
    redis_url = os.environ.get("DIGEST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import psycopg
        import redis

        psycopg.connect(_admin_url(database_url)[0], connect_timeout=3).close()
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as error:
        print(f"skipped: needs PostgreSQL and Redis ({error})")
        return
    _recreate_database(database_url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vivold.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    env.setdefault("DJANGO_DEBUG", "0")
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    try:
        subprocess.run([sys.executable, "-m", "bench.bench_digest", "--child"], cwd=BASE_DIR, env=env, check=True)
    finally:
        _drop_database(database_url)


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        main()

"""Real services for integration tests: an SMTP server on loopback and a Celery worker process.

Use them from a test module with ``from tests.integration import celery_worker, smtp_sink  # noqa: F401``.

``smtp_sink`` is an aiosmtpd server on 127.0.0.1 that keeps every message it is sent.
``celery_worker`` starts ``celery -A vivold worker`` in a subprocess, pointed at pytest-django's
test database, the suite's Redis and the SMTP sink (and, when the test uses ``live_server``, with
SITE_URL set to it so links in mails lead there). Data the worker must see has to be committed:
use ``transactional_db`` or ``live_server``. Mark such tests ``postgres``, ``redis`` and ``worker``.
"""

import asyncio
import email
import email.policy
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# A module's pytestmark when its tests start real service processes and wait for them.
ON_REAL_SERVICES = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SMTPSink:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    # Recipients whose first RCPT TO is held unanswered until release(): the client is caught
    # mid-send, before the server has accepted anything (`holding` is set once it is).
    hold: set[str] = field(default_factory=set)
    holding: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self._released.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.hold:
            self.hold.discard(address)
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, predicate: Callable[[EmailMessage], bool], timeout: float = 60) -> EmailMessage:
        """The first message received that satisfies `predicate`, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [m["Subject"] for m in self.messages]
                    raise AssertionError(f"no matching mail within {timeout}s; received: {subjects}")
                self._arrived.wait(remaining)


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every recipient at INFO
    sink = SMTPSink(host="127.0.0.1", port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("a worker process needs PostgreSQL: an SQLite test database lives in this process")
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{quote(db['NAME'])}"


@dataclass
class CeleryWorker:
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def output(self) -> str:
        return "".join(self.log)


def _read_into(stream, log: list[str], ready: threading.Event, ready_line: str = " ready.") -> None:
    for line in stream:
        log.append(line)
        if ready_line in line:
            ready.set()


@pytest.fixture
def celery_env() -> dict[str, str]:
    """Extra environment for the worker and beat processes; override it in a test module."""
    return {}


def _celery_process(request, smtp_sink: SMTPSink, extra_env: dict[str, str], args: list[str], ready_line: str):
    site_url = settings.SITE_URL
    if "live_server" in request.fixturenames:
        site_url = request.getfixturevalue("live_server").url
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",  # no connection left open when the test database is dropped
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": smtp_sink.url,
        "SITE_URL": site_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # tokens signed there are read here
        "DJANGO_DEBUG": "0",
        "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "vivold", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = CeleryWorker(process=process)
    ready = threading.Event()
    reader = threading.Thread(target=_read_into, args=(process.stdout, worker.log, ready, ready_line), daemon=True)
    reader.start()
    worker.reader = reader
    if not ready.wait(90) or process.poll() is not None:
        stop_celery(worker)
        raise RuntimeError(f"celery {args[0]} did not start:\n{worker.output[-4000:]}")
    return worker


def stop_celery(worker: CeleryWorker, *, kill: bool = False) -> None:
    if worker.process.poll() is None:
        if kill:
            worker.process.kill()
        else:
            worker.process.terminate()  # warm shutdown: the task in hand finishes
        try:
            worker.process.wait(20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(10)
    if worker.reader is not None:
        worker.reader.join(5)


def start_worker(request, smtp_sink: SMTPSink, extra_env: dict[str, str] | None = None, name: str = "test"):
    """A `celery worker` process (solo pool) on the test database, this process's Redis and the sink."""
    args = [
        "worker", "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--hostname", f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h",
    ]  # fmt: skip
    return _celery_process(request, smtp_sink, extra_env or {}, args, " ready.")


@pytest.fixture
def celery_worker(request, smtp_sink: SMTPSink, celery_env: dict[str, str]) -> Iterator[CeleryWorker]:
    from vivold.celery import app

    app.control.purge()  # nothing left over from an earlier run
    worker = start_worker(request, smtp_sink, celery_env)
    try:
        yield worker
    finally:
        stop_celery(worker)


@pytest.fixture
def celery_beat(request, smtp_sink: SMTPSink, celery_env: dict[str, str], tmp_path) -> Iterator[CeleryWorker]:
    """`celery beat` (the schedule in the settings) sending to this process's Redis."""
    args = ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")]
    beat = _celery_process(request, smtp_sink, celery_env, args, "beat: Starting")
    try:
        yield beat
    finally:
        stop_celery(beat)


class RedisServer:
    """A redis-server of the test's own on a free port, to stop, start again and hang (SIGSTOP)."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a hung server can't act on SIGTERM
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def hang(self) -> None:
        """The server keeps its port (connections are accepted by the kernel) and answers nothing."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        pytest.fail("these tests start their own redis-server (apt-get install redis-server)", pytrace=False)
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker, then back."""
    from vivold.celery import app

    def reset() -> None:
        # Only forgotten, not closed: kombu keeps pools by URL and hands the same one out again.
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    reset()
    app.conf.broker_url = url
    try:
        yield
    finally:
        reset()
        app.conf.broker_url = previous

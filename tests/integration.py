"""Real services for integration tests: an SMTP server on loopback and a Celery worker process.

Use them from a test module with ``from tests.integration import celery_worker, smtp_sink  # noqa: F401``.

``smtp_sink`` is an aiosmtpd server on 127.0.0.1 that keeps every message it is sent.
``celery_worker`` starts ``celery -A vivold worker`` in a subprocess, pointed at pytest-django's
test database, the suite's Redis and the SMTP sink (and, when the test uses ``live_server``, with
SITE_URL set to it so links in mails lead there). Data the worker must see has to be committed:
use ``transactional_db`` or ``live_server``. Mark such tests ``postgres``, ``redis`` and ``worker``.
"""

import email
import email.policy
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


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

    @property
    def output(self) -> str:
        return "".join(self.log)


def _read_into(stream, log: list[str], ready: threading.Event) -> None:
    for line in stream:
        log.append(line)
        if " ready." in line:
            ready.set()


@pytest.fixture
def celery_worker(request, smtp_sink: SMTPSink) -> Iterator[CeleryWorker]:
    from vivold.celery import app

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
    }
    app.control.purge()  # nothing left over from an earlier run
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "vivold", "worker",
            "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    worker = CeleryWorker(process=process)
    ready = threading.Event()
    reader = threading.Thread(target=_read_into, args=(process.stdout, worker.log, ready), daemon=True)
    reader.start()
    try:
        if not ready.wait(90) or process.poll() is not None:
            raise RuntimeError(f"the Celery worker did not start:\n{worker.output[-4000:]}")
        yield worker
    finally:
        process.terminate()  # warm shutdown: the task in hand finishes
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        reader.join(5)

"""Live production processes for tests: gunicorn with gunicorn.conf.py, and a PostgreSQL cluster
of the test's own (initdb and pg_ctl, on a free port) that the test may stop and start."""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration import free_port

from .helpers import BASE_DIR, production_env, run_manage

HOST = "vivold.example.org"


def get(url: str, *, timeout: float = 10, headers: dict | None = None, data: bytes | None = None):
    """(status, headers, body) of one request, whatever the status."""
    request = urllib.request.Request(url, data=data, headers={"Host": HOST, **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected once, as the image's build step does (manifest and all)."""
    root = tmp_path_factory.mktemp("static")
    env = production_env(root, STATIC_ROOT=str(root))
    done = run_manage(["collectstatic", "--no-input", "-v", "0"], env, timeout=300)
    assert done.returncode == 0, done.stderr
    return root


def production_site(tmp_path: Path, static_root: Path, *, migrate: bool = True, **overrides: str) -> dict[str, str]:
    """The environment of a production server over a migrated database and collected static
    files, plain HTTP on loopback."""
    env = production_env(
        tmp_path, STATIC_ROOT=str(static_root), DJANGO_SECURE_SSL_REDIRECT="0", LOG_FORMAT="text", **overrides
    )
    if migrate:
        done = run_manage(["migrate", "--no-input", "-v", "0"], env, timeout=300)
        assert done.returncode == 0, done.stderr
    return env


@dataclass
class PostgresCluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run(_as_postgres([*command]), check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.directory / "data"), "-l", str(self.directory / "log"), "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        return (self.directory / "data" / "postmaster.pid").exists()


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and the server refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        pytest.skip("initdb and pg_ctl are needed to run a PostgreSQL of the test's own")
    directory = Path(tempfile.mkdtemp(prefix="vivold-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
    cluster = PostgresCluster(directory=directory, port=free_port())
    try:
        subprocess.run(
            _as_postgres(["initdb", "-D", str(directory / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Gunicorn:
    process: subprocess.Popen
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn_server(env: dict[str, str], tmp_path: Path) -> Iterator[Gunicorn]:
    """`gunicorn -c gunicorn.conf.py vivold.wsgi` as production starts it, on a free port."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "PYTHONUNBUFFERED": "1"}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "vivold.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Gunicorn(process=process, base=f"http://127.0.0.1:{port}", log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn stopped during start-up:\n{server.output()}"
            try:
                get(server.base + "/robots.txt", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, f"gunicorn did not answer within 60 s:\n{server.output()}"
                time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

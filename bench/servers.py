"""The servers benchmarks measure, started on free loopback ports: gunicorn with gunicorn.conf.py,
nginx and Varnish (the project's VCL, or its built-in one) as references, Celery for purges."""

import json
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

from .environment import PROXY_HEADERS, PY, ROOT, WORK, env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=PROXY_HEADERS)  # noqa: S310 - our own loopback servers
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


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


def wait_until_up(base: str, path: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server at {base} stopped during start-up (exit {process.returncode})")
        try:
            get(base + path)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the server at {base} did not answer within 60 s")


def gunicorn(*, base_env: dict[str, str] | None = None, log: str = "gunicorn.log", **extra: str) -> Server:
    """The production server on a free port, once every worker listens; `base_env` (default
    `env()`) is the environment the other benchmarks give theirs."""
    port = free_port()
    server_env = {**(env() if base_env is None else base_env), "GUNICORN_BIND": f"127.0.0.1:{port}", **extra}
    WORK.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "vivold.wsgi"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=(WORK / log).open("a"),
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, "/healthz", process)
    server = Server(process, base)
    _wait_until_every_worker_listens(server, port, server_env)
    return server


def _wait_until_every_worker_listens(server: Server, port: int, server_env: dict[str, str]) -> None:
    """Each worker opens its own listening socket (SO_REUSEPORT) once forked.

    The first answer only shows that one worker is up; connections opened before
    the others listen would all stay on that one, for the whole run.
    """
    with patch.dict(os.environ, server_env, clear=True):
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


def celery(*args: str, **extra: str) -> Server:
    process = subprocess.Popen(
        [PY, "-m", "celery", "-A", "vivold", *args],
        cwd=ROOT,
        env=env(**extra),
        stdout=subprocess.DEVNULL,
        stderr=(WORK / "celery.log").open("a"),
    )
    return Server(process, "")


def nginx() -> str:
    """nginx's binary: the installed one, or the Debian package's unpacked under var/bench/."""
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


def nginx_serving(files: dict[str, bytes]) -> Server:
    """nginx serving `files` (name → bytes) as static files: the upper bound of a page's figures."""
    root = Path(tempfile.mkdtemp(prefix="nginx-", dir=WORK))
    root.chmod(0o755)  # nginx's workers run as an unprivileged user
    (root / "html").mkdir()
    for name, content in files.items():
        (root / "html" / name).write_bytes(content)
    port = free_port()
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
        [nginx(), "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, "/" + next(iter(files)), process)
    return Server(process, base)


def varnishd() -> str:
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


def project_varnish(backend: str, port: int) -> Varnish:
    """Varnish with the project's VCL, started as `make frontcache` and the stack start it."""
    workdir = Path(tempfile.mkdtemp(prefix="varnish-", dir=WORK))
    varnish_env = {
        **os.environ,
        "FRONT_PORT": str(port),
        "FRONT_ADDRESS": "127.0.0.1",
        "BACKEND": backend,
        "VARNISH_WORKDIR": str(workdir),
    }
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "varnish" / "start.sh")],
        env=varnish_env,
        stdout=(WORK / "varnish.log").open("a"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, "/healthz", process)
    return Varnish(process, base, workdir=workdir / "state")


def default_varnish(backend: str) -> Varnish:
    """varnishd with its built-in VCL (``-b``): the reference of what Varnish can do here."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="varnish-default-", dir=WORK))
    workdir.chmod(0o755)  # varnishd's VCL compiler runs as an unprivileged user
    workdir = workdir / "state"
    process = subprocess.Popen(
        [varnishd(), "-F", "-n", str(workdir), "-a", f"127.0.0.1:{port}", "-b", backend, "-s", "malloc,256m"],
        stdout=(WORK / "varnish.log").open("a"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, "/", process)
    return Varnish(process, base, workdir=workdir)

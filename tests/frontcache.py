"""A real varnishd with the project's VCL, and an HTTP server that records what it is sent.

``start_varnish(backend)`` runs ``deploy/varnish/start.sh`` (Debian's varnishd and
varnish-modules' xkey) on a free loopback port, with its own ``-n`` working
directory in a temporary folder, in front of ``backend`` (host:port).
``Relay`` is a TCP relay in front of the live server that a test can stop, to
show what Varnish does when its backend goes away. ``recording_server`` answers
every request with a fixed JSON body and keeps each request's method, path,
headers and body.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration import ROOT, free_port

START = ROOT / "deploy" / "varnish" / "start.sh"


def varnish_missing() -> str | None:
    if not (shutil.which("varnishd") or Path("/usr/sbin/varnishd").exists()):
        return "needs varnishd (apt-get install varnish varnish-modules)"
    return None


@dataclass
class Varnish:
    port: int
    process: subprocess.Popen
    workdir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None, source: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a fresh connection; ``source`` picks the loopback address it comes from."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(source, 0) if source else None
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def get(self, path: str, **kwargs) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path, **kwargs)


@contextmanager
def start_varnish(backend: str, *, port: int | None = None, purge_allow: str = "127.0.0.1,::1") -> Iterator[Varnish]:
    workdir = Path(tempfile.mkdtemp(prefix="vivold-varnish-test-"))
    port = port or free_port()
    env = {
        **os.environ,
        "FRONT_PORT": str(port),
        "FRONT_ADDRESS": "127.0.0.1",
        "BACKEND": backend,
        "PURGE_ALLOW": purge_allow,
        "VARNISH_WORKDIR": str(workdir),
        "VARNISH_STORAGE": "malloc,32m",
    }
    log = (workdir / "varnishd.log").open("wb")
    process = subprocess.Popen([str(START)], env=env, stdout=log, stderr=subprocess.STDOUT)
    varnish = Varnish(port=port, process=process, workdir=workdir)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"varnishd stopped:\n{(workdir / 'varnishd.log').read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("varnishd did not open its port") from None
                time.sleep(0.1)
        yield varnish
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


class Relay:
    """Forwards TCP connections from a free loopback port to ``target``, until stopped."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = self.listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        """From now on connections are refused, and those open are cut."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept()
        except OSError:
            pass
        self.listener.close()
        for sock in self._open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class RecordingServer:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    answer: dict = field(default_factory=dict)


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    recorder = RecordingServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorder.requests.append(
                Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            payload = json.dumps(recorder.answer).encode()
            self.send_response(recorder.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PURGE = do_DELETE = _record  # noqa: N815 - http.server's hook names

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()

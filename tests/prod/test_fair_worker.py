"""One greedy keep-alive connection does not hold a gevent worker: a client that pipelines
a thousand requests down one connection, and reads the answers as fast as they come, leaves
another reader answered after a few of them, not after all of them."""

import socket
import threading

import pytest

from tests.integration import database_url

from .live import HOST, get, gunicorn_server, production_site, static_root  # noqa: F401 - a fixture

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PIPELINED = 1000
REQUEST = f"GET /robots.txt HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()


def answers_counted(sock: socket.socket, counted: list[int], done: threading.Event) -> None:
    """Count the status lines arriving on `sock` into counted[0] until it closes."""
    tail = b""
    while chunk := sock.recv(65536):
        data = tail + chunk
        counted[0] += data.count(b"HTTP/1.1 200 ")
        tail = data[-16:]
        counted[0] -= tail.count(b"HTTP/1.1 200 ")  # counted again with the next chunk
        if counted[0] >= PIPELINED:
            break
    done.set()


def test_a_pipelining_client_leaves_another_reader_served(transactional_db, tmp_path, static_root):  # noqa: F811
    env = production_site(tmp_path, static_root, migrate=False, DATABASE_URL=database_url(), GUNICORN_WORKERS="1")
    with gunicorn_server(env, tmp_path) as server:
        host, port = server.base.removeprefix("http://").split(":")
        greedy = socket.create_connection((host, int(port)), timeout=60)
        counted, done = [0], threading.Event()
        reader = threading.Thread(target=answers_counted, args=(greedy, counted, done), daemon=True)
        reader.start()
        greedy.sendall(REQUEST * PIPELINED)
        while counted[0] < 20 and not done.is_set():
            done.wait(0.01)
        before = counted[0]
        status, _, _ = get(server.base + "/robots.txt", timeout=60)
        served_meanwhile = counted[0] - before
        done.wait(60)
        greedy.close()
    assert status == 200
    assert counted[0] == PIPELINED  # the greedy client got every answer too
    # Without a turn for the others after each request the worker answers the greedy
    # connection's whole backlog first (about 980 here).
    assert served_meanwhile < PIPELINED // 10, served_meanwhile

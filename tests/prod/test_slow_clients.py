"""Slow clients against the production server alone (gunicorn with gunicorn.conf.py, no
proxy in front): sixteen connections sending their headers or bodies a byte at a time
don't stop another reader, and the server drops what never finishes."""

import socket
import time

import pytest

from bench.slow_clients import dripping, slow_connection
from tests.articles.factories import ArticleFactory
from tests.integration import database_url

from .live import HOST, get, gunicorn_server, production_site, static_root  # noqa: F401 - a fixture

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SLOW_CLIENTS = 16


def server_closed(sock: socket.socket, *, within: float) -> bytes | None:
    """What the server sent before closing the connection, or None if it kept it open."""
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


@pytest.fixture
def site(transactional_db, tmp_path, static_root):  # noqa: F811
    article = ArticleFactory(title="Grid connections are the bottleneck")
    env = production_site(tmp_path, static_root, migrate=False, DATABASE_URL=database_url(), GUNICORN_WORKERS="2")
    return env, article.get_absolute_url()


def test_sixteen_slow_clients_leave_another_reader_served_then_are_dropped(site, tmp_path):
    env, article = site
    # The request head must arrive within GUNICORN_KEEPALIVE seconds, the body within
    # REQUEST_BODY_TIMEOUT: long enough for the readers below to be served meanwhile.
    env = {**env, "GUNICORN_KEEPALIVE": "8", "REQUEST_BODY_TIMEOUT": "8"}
    with gunicorn_server(env, tmp_path) as server:
        # Each worker's first page compiles its templates and opens its database pool: warm both
        # up first, so the 2 s below measures slow clients, not a cold start on a busy machine.
        for _ in range(4):
            for path in (article, "/"):
                get(server.base + path, timeout=30)
        sockets = [slow_connection(server.base, body=n % 2 == 1, host=HOST) for n in range(SLOW_CLIENTS)]
        with dripping(sockets) as dropped:
            time.sleep(1)  # every slow client has reached the server and sent more since
            for path in (article, "/", article):
                status, _, body = get(server.base + path, timeout=2)  # raises if not answered in 2 s
                assert status == 200
                assert b"Grid connections are the bottleneck" in body
            assert dropped == []  # the slow clients were there all along
            # Then the server gives up on them: heads are dropped, slow bodies get a 408.
            answers = [server_closed(sock, within=30) for sock in sockets]
        assert answers[0::2] == [b""] * (SLOW_CLIENTS // 2)
        assert all(answer and answer.startswith(b"HTTP/1.1 408 ") for answer in answers[1::2]), answers[1::2]

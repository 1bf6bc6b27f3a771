"""PostgreSQL down: the production server (gunicorn with gunicorn.conf.py) answers 503 with a
short maintenance page and Retry-After, JSON to a JSON signup, and recovers when it is back.
The test runs a PostgreSQL of its own and stops it."""

import json
import re
import time
from urllib.parse import urlencode

import pytest

from .live import get, gunicorn_server, postgres_cluster, production_site, static_root  # noqa: F401 - a fixture

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SUBSCRIBE_JSON = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}


def test_pages_answer_503_with_a_maintenance_page_while_postgresql_is_down(tmp_path, static_root):  # noqa: F811
    with postgres_cluster() as postgres:
        # Pages rendered by the application, not kept in its page cache.
        env = production_site(
            tmp_path,
            static_root,
            DATABASE_URL=postgres.url,
            GUNICORN_WORKERS="1",
            DATABASE_POOL_TIMEOUT="1",  # each request of the outage waits this long for the pool
        )
        with gunicorn_server(env, tmp_path) as server:
            assert get(server.base + "/")[0] == 200
            status, headers, body = get(server.base + "/newsletter/")
            assert status == 200
            # What the signup form posts with (a browser has it from the page it posts from).
            cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
            form = {"email": "reader@example.org", **({"csrfmiddlewaretoken": token[1].decode()} if token else {})}

            postgres.stop()
            for path in ("/", "/articles/grid-connections/", "/topics/energy/", "/search/?q=grid", "/feed/"):
                status, headers, body = get(server.base + path)
                assert status == 503, (path, status, body[:300])
                assert int(headers["Retry-After"]) > 0
                assert "no-store" in headers["Cache-Control"]
                assert b"Back in a few minutes" in body and b"<h1>" in body
            status, headers, body = get(
                server.base + "/newsletter/subscribe/",
                headers={**SUBSCRIBE_JSON, "Cookie": cookie},
                data=urlencode(form).encode(),
            )
            assert status == 503
            assert headers["Content-Type"] == "application/json"
            answer = json.loads(body)
            assert answer["ok"] is False and "try again" in answer["message"]
            assert get(server.base + "/healthz")[0] == 503

            postgres.start()
            deadline = time.monotonic() + 60
            while (status := get(server.base + "/")[0]) != 200 and time.monotonic() < deadline:
                time.sleep(0.5)  # the connection pool tries again with a growing delay
            assert status == 200
        log = server.output()
    # One line per request said so, at WARNING; no traceback.
    assert "Database unavailable: GET / answered 503" in log
    assert "Traceback" not in log

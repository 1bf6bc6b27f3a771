"""Every Redis connection production opens has short socket timeouts, so a hung Redis costs a
request a fraction of a second instead of holding it (the behaviour itself: tests/newsletter/test_outages.py)."""

import json

from .helpers import production_env, run_python

PROBE = """
import json, django
django.setup()
from django.core.cache import cache
from vivold.celery import app
pool = cache._cache._get_connection_pool(write=True)
broker = app.connection_for_write().transport_options
print(json.dumps({
    "cache": [pool.connection_kwargs.get("socket_timeout"), pool.connection_kwargs.get("socket_connect_timeout")],
    "broker": [broker.get("socket_timeout"), broker.get("socket_connect_timeout")],
    "results": [app.conf.redis_socket_timeout, app.conf.redis_socket_connect_timeout],
    "publish_retries": app.conf.task_publish_retry_policy["max_retries"],
    "visibility": broker.get("visibility_timeout"),
}))
"""


def test_cache_broker_and_results_have_short_socket_timeouts(tmp_path):
    env = production_env(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")  # nothing is contacted
    result = run_python(PROBE, env)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for timeouts in (found["cache"], found["broker"], found["results"]):
        assert all(t is not None and 0 < t <= 2 for t in timeouts), found
    assert found["publish_retries"] <= 1
    assert found["visibility"] == 2 * 60 * 60  # digest retries need the long visibility timeout


def test_the_timeout_can_be_set(tmp_path):
    env = production_env(tmp_path, REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT="0.2")
    found = json.loads(run_python(PROBE, env).stdout.strip().splitlines()[-1])
    assert found["cache"] == [0.2, 0.2] and found["broker"] == [2.0, 0.2]

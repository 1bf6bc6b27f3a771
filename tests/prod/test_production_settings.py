"""Production settings, run as production runs them: `check --deploy`, the
start-up refusals, /healthz and the JSON logs, each in a fresh interpreter."""

import json
import os
import subprocess
import sys

import pytest
from django.test import override_settings
from django.urls import reverse

from .helpers import BASE_DIR, production_env, run_manage, run_python

REQUEST_HEALTHZ = """
import django, json, sys
django.setup()
from django.test import Client
response = Client().get("/healthz", headers={"X-Request-ID": "trace-0123456789"})
print(json.dumps({"status": response.status_code, "body": response.json(), "request_id": response["X-Request-ID"]}))
"""


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_notices_when_a_secure_default_is_turned_off(tmp_path):
    # The check above is only worth something if it can fail.
    env = production_env(tmp_path, DJANGO_HSTS_SECONDS="0")
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off"),
        ("DATABASE_URL", "DATABASE_URL is required when DJANGO_DEBUG is off"),
    ],
)
def test_production_refuses_to_start_without(tmp_path, missing, message):
    result = run_manage(["check"], production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_starts_with_an_empty_secret_key_refused_too(tmp_path):
    result = run_manage(["check"], production_env(tmp_path, DJANGO_SECRET_KEY=""))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_the_page_cache_is_refused_without_a_cache_every_process_shares(tmp_path):
    result = run_manage(["check"], production_env(tmp_path, PAGE_CACHE_SECONDS="600"))
    assert result.returncode != 0
    assert "PAGE_CACHE_SECONDS needs REDIS_URL" in result.stderr
    with_redis = production_env(tmp_path, PAGE_CACHE_SECONDS="600", REDIS_URL="redis://127.0.0.1:6379/0")
    assert run_manage(["check"], with_redis).returncode == 0


PRINT_PAGE_CACHE = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.PAGE_CACHE_SECONDS, 'front-cache-scheduled-articles' in settings.CELERY_BEAT_SCHEDULE)"
)


@pytest.mark.parametrize(("debug", "with_redis"), [("0", ["3600", "True"]), ("1", ["0", "False"])])
def test_the_page_cache_is_on_with_redis_in_production_and_off_in_development(tmp_path, debug, with_redis):
    # On, beat also purges what scheduled articles made due, with no front cache as with one.
    redis = production_env(tmp_path, DJANGO_DEBUG=debug, REDIS_URL="redis://127.0.0.1:6379/0")
    assert run_python(PRINT_PAGE_CACHE, redis).stdout.split() == with_redis
    alone = production_env(tmp_path, DJANGO_DEBUG=debug)
    assert run_python(PRINT_PAGE_CACHE, alone).stdout.split() == ["0", "False"]


@pytest.mark.django_db
def test_healthz_answers_200_json_when_the_database_answers(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_redis_does_not(client):
    closed = "redis://127.0.0.1:1/0"
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed}}
    with override_settings(REDIS_URL=closed, CACHES=caches):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["redis"].startswith("error")
    assert body["database"] == "ok"


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_checks_the_real_redis(client, settings):
    assert settings.REDIS_URL
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    env = production_env(
        tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/vivold", DJANGO_ALLOWED_HOSTS="testserver"
    )
    result = run_python(REQUEST_HEALTHZ, env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["database"].startswith("error")


def test_production_logs_one_json_object_a_line_with_request_id_and_timing(tmp_path):
    env = production_env(tmp_path, DJANGO_ALLOWED_HOSTS="testserver")
    run_manage(["migrate", "--noinput"], env)
    result = run_python(REQUEST_HEALTHZ, env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    # The id the proxy sent comes back, and is on the log line of the request.
    assert answer["request_id"] == "trace-0123456789"
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    request_lines = [line for line in lines if line["logger"] == "vivold.request"]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert line["request_id"] == "trace-0123456789"
    assert line["status"] == 200 and line["method"] == "GET" and line["route"] == "/healthz"
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def run_healthcheck(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1"}
    return subprocess.run(
        [sys.executable, "-m", "core.healthcheck", url],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_container_health_check_passes_on_a_healthy_site(live_server):
    result = run_healthcheck(f"{live_server.url}/healthz")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 ")


@pytest.mark.django_db(transaction=True)
def test_the_container_health_check_fails_when_redis_is_gone(live_server):
    closed = "redis://127.0.0.1:1/0"
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed}}
    with override_settings(REDIS_URL=closed, CACHES=caches):
        result = run_healthcheck(f"{live_server.url}/healthz")
    assert result.returncode == 1
    assert result.stdout.startswith("503 ")


def test_the_container_health_check_fails_when_nothing_listens():
    result = run_healthcheck("http://127.0.0.1:1/healthz")
    assert result.returncode == 1
    assert "unhealthy" in result.stderr

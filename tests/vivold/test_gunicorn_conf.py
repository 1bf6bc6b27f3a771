"""gunicorn.conf.py as gunicorn itself reads it (docker-compose runs
`gunicorn -c gunicorn.conf.py vivold.wsgi`)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _output(*command: str, **env: str) -> str:
    """What `command` prints, run in the project with `env` over this environment less its GUNICORN_ variables."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def gunicorn_config(**env: str) -> dict[str, str]:
    printed = _output(
        sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "vivold.wsgi", **env
    )
    settings = {}
    for line in printed.splitlines():
        name, _, value = line.partition("=")
        settings[name.strip()] = value.strip()
    return settings


def test_gevent_workers_from_the_core_count_with_keep_alive():
    config = gunicorn_config()
    # A slow client costs a greenlet, not one of a few threads (tests/prod/test_slow_clients.py).
    # gevent's worker, with a turn for the other connections after each request (tests/prod/test_fair_worker.py).
    assert config["worker_class"] == "core.gunicorn_worker.FairGeventWorker"
    assert int(config["workers"]) == max(2, os.cpu_count())
    assert int(config["worker_connections"]) >= 100
    assert 1 <= int(config["keepalive"]) <= 75
    assert 10 <= int(config["timeout"]) <= 120
    assert config["accesslog"] == "None"
    assert config["control_socket_disable"] == "True"  # several servers may share a host
    assert config["reuse_port"] == "True"  # connections spread evenly between the workers


def _python(code: str, **env: str) -> list[str]:
    return _output(sys.executable, "-c", code, **env).split()


def test_psycopg_waits_cooperate_with_gevent_in_the_web_server_and_celery_is_left_alone():
    # As gunicorn does: its configuration first (which patches), then the application.
    web = _python(
        "import runpy, sys, gunicorn.app.base; runpy.run_path('gunicorn.conf.py');"
        "from django.core.wsgi import get_wsgi_application; import vivold.wsgi;"
        "import psycopg.waiting as w; from django.conf import settings;"
        "print(w.wait.__name__, type(vivold.wsgi.application).__name__,"
        " 'pool' in settings.DATABASES['default']['OPTIONS'])",
        DJANGO_SETTINGS_MODULE="vivold.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
    )
    # psycopg's C wait would block the whole worker on every query; its Python waits yield to gevent.
    assert web[0] != "wait_c"
    assert web[1:] == ["RequestBodyDeadline", "True"]
    # Celery workers never read gunicorn.conf.py: nothing is patched, psycopg keeps its C wait.
    worker = _python(
        "import sys, django; django.setup(); import vivold.celery, psycopg.waiting as w;"
        "print(w.wait.__name__, 'gevent' in sys.modules)",
        DJANGO_SETTINGS_MODULE="vivold.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
    )
    assert worker == ["wait_c", "False"]


def test_reading_the_configuration_outside_gunicorn_patches_nothing():
    # bench/ and these tests read it with runpy: their own interpreter must stay as it is.
    assert _python("import runpy, sys; runpy.run_path('gunicorn.conf.py'); print('gevent' in sys.modules)") == ["False"]


def test_the_environment_overrides_it():
    config = gunicorn_config(
        GUNICORN_BIND="127.0.0.1:9999", GUNICORN_WORKERS="3", GUNICORN_THREADS="2", GUNICORN_ACCESS_LOG="-"
    )
    assert config["bind"] == "['127.0.0.1:9999']"
    assert (config["workers"], config["threads"], config["accesslog"]) == ("3", "2", "-")


def test_the_master_freezes_what_it_loaded_before_forking():
    import gc
    import runpy

    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        hooks["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

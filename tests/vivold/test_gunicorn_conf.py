"""gunicorn.conf.py as gunicorn itself reads it (docker-compose runs
`gunicorn -c gunicorn.conf.py vivold.wsgi`)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def gunicorn_config(**env: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "vivold.wsgi"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    settings = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition("=")
        settings[name.strip()] = value.strip()
    return settings


def test_threaded_workers_from_the_core_count_with_keep_alive():
    config = gunicorn_config()
    assert config["worker_class"] == "gthread"
    assert int(config["workers"]) == max(2, os.cpu_count())
    assert int(config["threads"]) >= 2
    assert 1 <= int(config["keepalive"]) <= 75
    assert 10 <= int(config["timeout"]) <= 120
    assert config["accesslog"] == "None"
    assert config["control_socket_disable"] == "True"  # several servers may share a host
    assert config["reuse_port"] == "True"  # connections spread evenly between the workers


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

"""What every benchmark's processes run with: paths, the production environment, the bench databases.

BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/vivold_bench_pages) and BENCH_REDIS_URL
(redis://127.0.0.1:6379/12) name the database and the Redis database the page benchmarks use;
both are emptied by a run.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
PY = sys.executable
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vivold_bench_pages")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
# Production settings may redirect plain HTTP to HTTPS: requests arrive as if from
# a TLS-terminating proxy on loopback, which gunicorn trusts.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
BENCH_SECRET = secrets.token_urlsafe(50)


def env(*, database_url: str = DATABASE_URL, redis_url: str = REDIS_URL, **extra: str) -> dict[str, str]:
    """The production settings on the bench database, without what the caller's shell or test run set."""
    result = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "FRONT_CACHE", "GUNICORN_"))
    }
    result.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=BENCH_SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SITE_URL="https://127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    result.update(extra)
    return result


def manage(*args: str, **extra: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env(**extra), check=True, capture_output=True, text=True
    )
    return done.stdout


def django_child(code: str, **extra: str) -> str:
    """The standard output of `code` run in a process with Django set up on the bench database."""
    return subprocess.run(
        [PY, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env(DJANGO_SETTINGS_MODULE="vivold.settings", **extra),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def recreate_database(database_url: str = DATABASE_URL) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def vacuum_analyze(database_url: str = DATABASE_URL) -> None:
    """Planner statistics and the visibility map (which index-only scans rely on), as
    autovacuum keeps them on a database in service."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")

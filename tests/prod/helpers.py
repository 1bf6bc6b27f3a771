"""Running the project as production runs it: a fresh interpreter with only the
environment an operator would give (what the suite sets for itself removed)."""

import os
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
# pyproject.toml's [tool.pytest_env], and pytest's own marker.
SUITE_ONLY = {"PYTEST_VERSION", *tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["pytest_env"]}


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ONLY and not k.startswith(("DJANGO_", "ANYMAIL_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="vivold.example.org",
        SITE_URL="https://vivold.example.org",
        REDIS_URL="",
        DJANGO_SETTINGS_MODULE="vivold.settings",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    return _run(["-c", code], env, timeout)


def run_manage(args: list[str], env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    return _run(["manage.py", *args], env, timeout)


def _run(args: list[str], env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], check=False, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )

"""Real Celery worker processes for integration tests: started against the test database, killable."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Starts `celery worker` processes (solo pool: one process each, one task at a time)."""

    def __init__(self, *, email_url: str, log_dir: Path, extra_env: dict[str, str] | None = None):
        self.email_url = email_url
        self.log_dir = log_dir
        self.extra_env = extra_env or {}
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_URL": self.email_url,
            "DATABASE_CONN_MAX_AGE": "0",
            **self.extra_env,
        }
        started = []
        for _ in range(count):
            number = len(self.processes) + 1
            log = open(self.log_dir / f"worker{number}.log", "wb")  # noqa: SIM115 (closed with the process)
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "vivold", "worker"),
                    *("--pool", "solo", "--loglevel", "WARNING", "--hostname", f"digest-test-{number}@%h"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            process.log = log
            self.processes.append(process)
            started.append(process)
        return started

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            process.log.close()

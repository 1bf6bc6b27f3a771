"""Gunicorn for Vivold: `gunicorn -c gunicorn.conf.py vivold.wsgi`.

Threaded workers (gthread) keep browsers' and proxies' connections alive between
requests, which the plain sync worker cannot. Python runs one thread at a time
per process, so the work is spread over processes (two per core) and the
threads mostly cover waits on PostgreSQL and Redis. Every value can be changed
through the environment (GUNICORN_*) without editing this file.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", max(2, cores * 2))
threads = _int("GUNICORN_THREADS", 4)
# Idle keep-alive connections wait in the worker's poller, not in a thread.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
backlog = _int("GUNICORN_BACKLOG", 2048)

# A request slower than this is a bug or an attack: the worker is restarted.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Recycle workers now and then so a slow leak can never grow without bound;
# the jitter keeps them from restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)

# Load the application once in the master: workers start fast and share memory.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Heartbeat files in memory, not on a container's disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's own advice

# Access log: off by default (a proxy in front usually keeps one); "-" for stdout.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a proxy on the same network, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips


def post_fork(server, worker) -> None:
    # Connections opened in the master must not be shared between workers.
    from django.db import connections

    connections.close_all()

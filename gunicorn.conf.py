"""Gunicorn for Vivold: `gunicorn -c gunicorn.conf.py vivold.wsgi`.

Threaded workers (gthread) keep browsers' and proxies' connections alive between
requests, which the plain sync worker cannot. Python runs one thread at a time
per process, so there is one process per core, and its threads cover the waits
on PostgreSQL and Redis. Those waits are short (a page reads in one or a few
statements), so two threads suffice: measured on two cores under wrk -c32
(bench_pages), two workers of two threads served uncached article pages 10-25%
faster with a p99 a quarter lower than two of eight (whose threads mostly wait
for one another's turn with the interpreter), and cached pages as fast. Idle
keep-alive connections wait in the worker's poller, not in a thread. Raise
GUNICORN_THREADS where requests wait on something slow. Each worker's own
listening socket spreads the connections between the workers.
Every value can be changed through the environment (GUNICORN_*).
"""

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = _int("GUNICORN_WORKERS", max(2, cores))
threads = _int("GUNICORN_THREADS", 2)
# Idle keep-alive connections wait in the worker's poller, not in a thread.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
backlog = _int("GUNICORN_BACKLOG", 2048)
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads
# new connections evenly between them. On one shared socket the idlest worker wins
# the race to accept, and a proxy's or a load generator's persistent connections
# pile up on one worker (measured: 25 against 7), whose queue then sets the slowest
# requests. A worker that restarts drops the connections still queued on its socket,
# and a second server started by mistake on the same port shares it instead of
# failing to bind.
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"

# A request slower than this is a bug or an attack: the worker is restarted.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Worker memory stays flat under load (bench_pages), so workers are not
# recycled; GUNICORN_MAX_REQUESTS (with jitter) does it should a leak appear.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)

# Load the application once in the master: workers start fast and share memory.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Heartbeat files in memory, not on a container's disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's own advice

# The control socket (gunicornc) lives at one path per user: several servers on
# one host would fight over it. Off unless a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Access log: off by default (a proxy in front usually keeps one); "-" for stdout.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a proxy on the same network, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips


def pre_fork(server, worker) -> None:
    # Everything the master loaded (Django, the URL patterns, compiled templates)
    # lives as long as the worker: keep it out of the collector's full passes, which
    # otherwise walk it again and again and show as pauses in the slowest requests,
    # and out of the pages copy-on-write would otherwise duplicate. Garbage first,
    # so none of it is frozen with them.
    gc.collect()
    gc.freeze()


def post_fork(server, worker) -> None:
    # Connections opened in the master must not be shared between workers.
    from django.db import connections

    connections.close_all()

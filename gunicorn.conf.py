"""Gunicorn for Vivold: `gunicorn -c gunicorn.conf.py vivold.wsgi`.

gevent workers: each connection is a greenlet, not a thread, so a client that sends
its request a byte at a time costs a few kilobytes and no thread, and the other
readers are still served (tests/prod/test_slow_clients.py; figures from
bench/bench_attack.py in docs/benchmarks.md). The threaded worker (gthread) holds
one of its threads per connection from the first byte of a request to the last:
one slow client per thread stops the whole site. An ASGI server would run
Django's synchronous views in a thread pool and add a layer for nothing.

Timeouts: a request's line and headers must arrive within GUNICORN_KEEPALIVE
seconds (the gevent worker bounds each request head by it), its body within
REQUEST_BODY_TIMEOUT (vivold/wsgi.py, 408 past it); a request slower than
GUNICORN_TIMEOUT restarts the worker. In production the front cache sits in front
and buffers bodies anyway (see the README): this is for the server on its own.

Python runs one greenlet at a time per process, so there is one process per core,
and a greenlet yields only when it waits: the worker class gives the other
connections a turn after each request (core/gunicorn_worker.py), or one client
keeping its connection busy would hold the whole worker.
The standard library is patched for gevent here, before the application is
loaded in the master: psycopg chooses at import whether its waits cooperate with
gevent (psycopg 3.1.14 and later do when they see the patch), and Redis and SMTP
clients use the patched sockets. Database connections come from a pool per
worker (DATABASE_POOL_SIZE, set below unless given): greenlets are cheap, but a
PostgreSQL connection per greenlet is not. Celery workers never read this file
and run unpatched. GUNICORN_WORKER_CLASS=gthread gives the threaded worker back
(GUNICORN_THREADS per worker). Each worker's own listening socket spreads the
connections between the workers. Every value can be changed through the
environment (GUNICORN_*).
"""

import gc
import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
# gevent's worker with a turn for the other connections after each request (core/gunicorn_worker.py).
worker_class = "core.gunicorn_worker.FairGeventWorker" if worker == "gevent" else worker
workers = _int("GUNICORN_WORKERS", max(2, cores))
threads = _int("GUNICORN_THREADS", 2)  # gthread only
# Connections (greenlets) per gevent worker; idle keep-alive ones wait in the poller.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
# Idle keep-alive, and (gevent) the time a client has to send a request's line and headers.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Only in gunicorn's own process: tools and tests read this file too (runpy), and must not
# find their interpreter patched.
if worker == "gevent" and "gunicorn.app.base" in sys.modules:
    from gevent import monkey

    # Before anything imports psycopg, redis or Django (see the docstring).
    monkey.patch_all()
    # Connections each worker's greenlets share (Django's psycopg pool); the site's pages
    # read in one or a few short statements, so a few suffice.
    os.environ.setdefault("DATABASE_POOL_SIZE", str(_int("GUNICORN_DATABASE_POOL_SIZE", 4)))
backlog = _int("GUNICORN_BACKLOG", 2048)
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads
# new connections evenly between them. On one shared socket the idlest worker wins
# the race to accept, and a proxy's or a load generator's persistent connections
# pile up on one worker, whose queue then sets the slowest requests. A worker that
# restarts drops the connections still queued on its socket, and a second server
# started by mistake on the same port shares it instead of failing to bind.
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
    for connection in connections.all(initialized_only=True):
        if connection.alias in getattr(connection, "_connection_pools", {}):  # a pool the master opened
            connection.close_pool()

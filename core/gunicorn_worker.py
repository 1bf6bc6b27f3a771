"""Gunicorn's gevent worker, fair between keep-alive connections.

A greenlet gives the others a turn only when it waits. On a keep-alive connection
whose client sends its next request as soon as the last answer arrives, the read
finds the request already there and never waits: the connection is served again and
again while the worker's other connections starve, and a client pipelining its
requests holds the whole worker (tests/prod/test_fair_worker.py).
Each request is followed by a turn for the others, as threads get from the
interpreter's switch interval.
"""

import gevent
from gunicorn.workers.ggevent import GeventWorker


class FairGeventWorker(GeventWorker):
    def handle_request(self, listener_name, req, sock, addr):
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            gevent.sleep(0)

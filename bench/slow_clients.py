"""Clients that hold a server's connections open by sending a request a byte at a time, and the
background threads they and other attackers run in: bench_attack's and
tests/prod/test_slow_clients.py's."""

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def slow_connection(base: str, *, body: bool, host: str = "127.0.0.1", body_length: int = 1000) -> socket.socket:
    """A connection that has sent the start of a request: the head without its last line, or
    the head of a POST whose `body_length`-byte body has not come yet."""
    address, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((address, int(port)), timeout=5)
    if body:
        head = f"POST /newsletter/subscribe/ HTTP/1.1\r\nHost: {host}\r\nContent-Length: {body_length}\r\n"
        head += "Content-Type: application/x-www-form-urlencoded\r\n\r\nemail="
    else:
        head = f"GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: "
    sock.sendall(head.encode())
    return sock


@contextmanager
def in_background(*loops: Callable[[threading.Event], None]) -> Iterator[None]:
    """Each loop in a daemon thread of its own while the block runs; the event each is given is
    set when the block ends, and the threads are joined."""
    stop = threading.Event()
    threads = [threading.Thread(target=loop, args=(stop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join()


@contextmanager
def dripping(
    sockets: list[socket.socket | None],
    *,
    every: float = 0.5,
    reconnect: Callable[[int], socket.socket | None] | None = None,
) -> Iterator[list[int]]:
    """Send one more byte on each connection every `every` seconds; yields the positions of the
    connections the server dropped, in the order it dropped them.

    Without `reconnect` a dropped connection is left as it is (what the server sent before
    closing it can still be read) and sent nothing more. With it, the dropped connection is
    closed and `reconnect(position)` opens the next one in its place (None: try again next
    round). Every connection is closed at the end."""
    dropped: list[int] = []
    given_up: set[int] = set()

    def drip(stop: threading.Event) -> None:
        while not stop.wait(every):
            for n, sock in enumerate(sockets):
                if n in given_up:
                    continue
                try:
                    if sock is None:
                        raise OSError
                    sock.sendall(b"a")
                except OSError:
                    if sock is not None:
                        dropped.append(n)
                    if reconnect is None:
                        given_up.add(n)
                        continue
                    if sock is not None:
                        sock.close()
                    sockets[n] = reconnect(n)

    try:
        with in_background(drip):
            yield dropped
    finally:
        for sock in sockets:
            if sock is not None:
                sock.close()

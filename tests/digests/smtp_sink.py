"""A real SMTP server on loopback (aiosmtpd) that counts what it receives and can refuse on demand."""

import socket
import threading
import time
from collections import Counter, defaultdict
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SinkHandler:
    def __init__(self):
        self.lock = threading.Lock()
        self.received: dict[str, list[bytes]] = defaultdict(list)
        self.refuse_seconds = 0.0  # from the first MAIL FROM on, answer 451 for this long
        self.refuse_until: float | None = None
        self.refused = 0
        self.hard_fail: set[str] = set()  # addresses answered 550 at RCPT
        self.defer: dict[str, int] = {}  # addresses answered 451 at RCPT, this many more times
        self.data_delay = 0.0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # Offer PIPELINING (aiosmtpd reads pipelined commands in order anyway), as real servers do.
        session.host_name = hostname
        return [responses[0], "250-PIPELINING", *responses[1:]]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_until is None and self.refuse_seconds:
            self.refuse_until = time.monotonic() + self.refuse_seconds
        if self.refuse_until is not None and time.monotonic() < self.refuse_until:
            with self.lock:
                self.refused += 1
            return "451 4.3.2 Please try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.hard_fail:
            return "550 5.1.1 No such mailbox here"
        if self.defer.get(address.lower(), 0) > 0:
            self.defer[address.lower()] -= 1
            return "451 4.2.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            import asyncio

            await asyncio.sleep(self.data_delay)
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[address.lower()].append(envelope.content)
        return "250 OK queued"


class SmtpSink:
    def __init__(self):
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def total(self) -> int:
        with self.handler.lock:
            return sum(len(v) for v in self.handler.received.values())

    def counts(self) -> Counter:
        with self.handler.lock:
            return Counter({address: len(v) for address, v in self.handler.received.items()})

    def messages(self, address: str):
        with self.handler.lock:
            raw = list(self.handler.received.get(address.lower(), []))
        return [message_from_bytes(content, policy=policy.default) for content in raw]

    def wait_for(self, condition, timeout: float, interval: float = 0.1) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(interval)
        return condition()

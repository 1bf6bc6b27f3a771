"""An SMTP sink for the stack test, standard library only (it runs in the base image).

SMTP on port 1025 accepts every message (no TLS, no auth: the compose network is
private); HTTP on port 8025 answers GET /messages with every message received so
far as JSON: [{"from": ..., "to": [...], "data": "<the raw message>"}].
"""

import json
import signal
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGES: list[dict] = []
LOCK = threading.Lock()


class SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 120

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 smtp-sink ESMTP")
        sender, recipients = None, []
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            verb, _, argument = raw.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-smtp-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 33554432")
            elif verb == "HELO":
                self.reply("250 smtp-sink")
            elif verb == "MAIL":
                sender, recipients = argument.partition(":")[2].split(" ")[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(argument.partition(":")[2].split(" ")[0].strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (line := self.rfile.readline(1 << 20)) not in (b".\r\n", b".\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                data = b"".join(lines).decode("utf-8", "replace")
                with LOCK:
                    MESSAGES.append({"from": sender, "to": recipients, "data": data})
                print(f"message from {sender} to {', '.join(recipients)}", flush=True)
                sender, recipients = None, []
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                if verb == "RSET":
                    sender, recipients = None, []
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class MessagesHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path != "/messages":
            self.send_error(404)
            return
        with LOCK:
            body = json.dumps(MESSAGES).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class SMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    # PID 1 in its container: without a handler, `docker stop` would wait and then kill it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    smtp = SMTPServer(("0.0.0.0", 1025), SMTPHandler)  # noqa: S104 - inside the container's private network
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    print("smtp-sink: SMTP on 1025, messages on http://0.0.0.0:8025/messages", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8025), MessagesHandler).serve_forever()  # noqa: S104

"""The WSGI application gunicorn serves, behind a deadline for request bodies.

Under gunicorn's gevent workers (gunicorn.conf.py) a request's body must arrive whole
within REQUEST_BODY_TIMEOUT seconds or the client gets a 408 and the connection is
closed: a client sending a byte now and then cannot hold a greenlet, and whatever the
view took (a database connection) for as long as it likes. The body is read before the
application sees it, into memory up to 1 MiB and into a temporary file beyond that.
Elsewhere (runserver, tests, gthread) requests pass through untouched.
"""

import os
import tempfile

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vivold.settings")

CHUNK = 64 * 1024
IN_MEMORY = 1024 * 1024


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def _refuse(start_response, status: str, message: bytes) -> list[bytes]:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")]
    start_response(status, [*headers, ("Content-Length", str(len(message)))])
    return [message]


class RequestBodyDeadline:
    def __init__(self, application, *, seconds: float, max_bytes: int) -> None:
        self.application = application
        self.seconds = seconds
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        from gevent import Timeout

        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and length in ("", "0"):
            return self.application(environ, start_response)
        if length.isdigit() and int(length) > self.max_bytes:
            return _refuse(start_response, "413 Content Too Large", b"The request body is too large.\n")
        body = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 - handed to the application
        stream = environ["wsgi.input"]
        try:
            with Timeout(self.seconds):
                while chunk := stream.read(CHUNK):
                    body.write(chunk)
                    if body.tell() > self.max_bytes:
                        body.close()
                        return _refuse(start_response, "413 Content Too Large", b"The request body is too large.\n")
        except Timeout:
            body.close()
            return _refuse(start_response, "408 Request Timeout", b"The request body came in too late.\n")
        environ["CONTENT_LENGTH"] = str(body.tell())
        body.seek(0)
        environ["wsgi.input"] = body
        return self.application(environ, start_response)


application = get_wsgi_application()
if _gevent_active():
    from django.conf import settings

    # The largest body a view accepts: an editor's image upload, with its form.
    largest = max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0, settings.IMAGE_UPLOAD_MAX_BYTES) + 1024 * 1024
    application = RequestBodyDeadline(application, seconds=settings.REQUEST_BODY_TIMEOUT, max_bytes=largest)

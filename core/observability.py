"""Logs that can be searched: a request id on every line, one JSON object a
line in production, request timing, and Celery task failures that name the
ids they were given, never an email address."""

import contextvars
import functools
import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from celery.signals import task_failure
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# What a caller may send as X-Request-ID: a short token, nothing to inject into logs.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
EMAIL_REDACTED = "<email>"
# What redact() replaces: an address whose domain ends in a name (not an IP address, as in
# ``**@127.0.0.1``). The credentials of a URL (``redis://:**@redis.internal:6379``, as Celery prints
# its broker) are matched first and kept, so they are never mistaken for an address.
_REDACTABLE = re.compile(
    r"(?P<credentials>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@]*@)"
    r"|(?P<email>[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*\b(?!\.\d))"
)

# Named for the site, not the module: operators filter the logs on these names.
request_logger = logging.getLogger("vivold.request")
task_logger = logging.getLogger("vivold.tasks")


def redact(text: str) -> str:
    """The text with every email address replaced, and nothing else."""
    return _REDACTABLE.sub(lambda match: match["credentials"] or EMAIL_REDACTED, text)


class RequestIdMiddleware:
    """Take the proxy's X-Request-ID (or make one), log the request with its
    timing, and send the id back so a reader's report can be traced."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            response["X-Request-ID"] = request_id
            match = request.resolver_match
            request_logger.info(
                "%s %s %s",
                request.method,
                # The route, not the path: paths of the newsletter carry signed tokens.
                f"/{match.route}" if match and match.route else request.path[:200],
                response.status_code,
                extra={
                    "method": request.method,
                    "route": f"/{match.route}" if match and match.route else None,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


@functools.cache
def _expected_failures() -> tuple[type[BaseException], ...]:
    """What the outside world does to us, not bugs: a request naming a host we don't serve, and
    Redis or the broker not answering (PostgreSQL: core.outage). Each such request logs one line."""
    from django.core.exceptions import DisallowedHost
    from kombu.exceptions import OperationalError as BrokerUnavailable
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (DisallowedHost, RedisConnectionError, RedisTimeoutError, BrokerUnavailable)


def expected_failure(exc: BaseException | None) -> BaseException | None:
    """The outage (or bad Host) behind ``exc``, following its causes; None for anything else."""
    from core.outage import database_unavailable

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, _expected_failures()) or database_unavailable(exc):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _one_line(record: logging.LogRecord) -> None:
    """An outage or a bad Host: one line at WARNING with the cause, not a traceback at ERROR for
    every request while it lasts."""
    exc = record.exc_info[1] if record.exc_info else None
    cause = expected_failure(exc)
    if cause is None:
        return
    detail = redact(" ".join(str(cause).split())[:200])
    if detail not in record.msg:
        record.msg = f"{record.msg} ({type(cause).__name__}: {detail})"
    record.exc_info, record.exc_text, record.stack_info = None, None, None
    if record.levelno > logging.WARNING:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request id, redact email addresses from the message and the
    traceback whatever the formatter, and shorten the records of outages and bad Hosts."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # django.request logs after the middleware has returned; its record carries the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        record.msg = redact(record.getMessage())
        record.args = ()
        _one_line(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line. Only named fields are copied from ``extra``:
    libraries put whole argument lists there (Celery does), and those stay out."""

    EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "task_name", "task_id", "task_args", "task_kwargs")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for field in self.EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def describe_argument(value: Any) -> Any:
    """What a log may say about a task argument: ids as they are, anything else by its kind."""
    if isinstance(value, bool | int | uuid.UUID) or value is None:
        return value
    if isinstance(value, Model):
        return f"{value._meta.label}:{value.pk}"
    if isinstance(value, str):
        if EMAIL_RE.search(value):
            return EMAIL_REDACTED
        return value if re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value) else f"<str len={len(value)}>"
    if isinstance(value, list | tuple):
        return [describe_argument(item) for item in value[:20]]
    return f"<{type(value).__name__}>"


@task_failure.connect(dispatch_uid="core.log_task_failure")
def _log_task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, **extra) -> None:
    task_logger.error(
        "task %s failed: %s: %s",
        getattr(sender, "name", sender),
        type(exception).__name__,
        redact(str(exception))[:300],
        extra={
            "task_name": getattr(sender, "name", str(sender)),
            "task_id": task_id,
            "task_args": [describe_argument(arg) for arg in args or ()],
            "task_kwargs": {key: describe_argument(value) for key, value in (kwargs or {}).items()},
        },
    )

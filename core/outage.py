"""When PostgreSQL does not answer: a short maintenance page (or, to a JSON request, a JSON
body) with 503 and Retry-After, never a 500. Pages the front cache holds stay up meanwhile
(grace); everything else tells the reader to come back shortly.

The middleware answers for views; ``core.views.server_error`` (handler500) answers the same
way when the failure happened in a middleware, outside any view.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MAINTENANCE_MESSAGE = "Vivold Insights is down for a few minutes of maintenance. Please try again shortly."


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says PostgreSQL could not be reached or stopped answering (psycopg's or
    its pool's operational errors). SQLite's "no such table" is an OperationalError too, and a
    bug, not an outage."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    return type(exc.__cause__).__module__.split(".")[0] in ("psycopg", "psycopg_pool")


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"ok": False, "message": MAINTENANCE_MESSAGE}, status=503)
    else:
        # No request context: its processors may need the database that just failed.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)  # neither the front cache nor a browser keeps the outage
    logger.warning(
        "Database unavailable: %s %s answered 503 (%s: %s)",
        request.method,
        request.path[:200],
        type(exc).__name__,
        " ".join(str(exc).split())[:200],
    )
    # One line is enough: Django would log the 503 again, at ERROR with the traceback.
    response._has_been_logged = True  # noqa: SLF001 - django.utils.log.log_response's own flag
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_unavailable(exception):
            return unavailable_response(request, exception)
        return None

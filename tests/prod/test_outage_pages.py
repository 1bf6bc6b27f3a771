"""The 503 of a database outage, wherever in the request it shows: in a view (core.outage's
middleware) or in a middleware, outside any view (handler500)."""

import json
import sqlite3

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client

from core.outage import MAINTENANCE_MESSAGE

pytestmark = pytest.mark.django_db


class DatabaseGoneMiddleware:
    """Stands for any middleware that reads the database (sessions, a signed-in editor)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = "connection to server at 127.0.0.1, port 5432 failed: Connection refused"
        # As Django raises it: its own error, caused by psycopg's.
        raise OperationalError(refused) from psycopg.OperationalError(refused)


class BugMiddleware(DatabaseGoneMiddleware):
    def __call__(self, request):
        # SQLite's missing table is an OperationalError too: a bug (no migrations), not an outage.
        raise OperationalError("no such table: articles_article") from sqlite3.OperationalError("no such table")


@pytest.fixture
def outside_a_view(settings):
    def install(middleware: str) -> Client:
        settings.DEBUG = False
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.{middleware}"]
        return Client(raise_request_exception=False)

    return install


def test_a_database_failure_outside_a_view_is_a_503_maintenance_page(outside_a_view):
    client = outside_a_view("DatabaseGoneMiddleware")
    page = client.get("/")
    assert page.status_code == 503
    assert int(page["Retry-After"]) > 0
    assert "no-store" in page["Cache-Control"]
    assert "Back in a few minutes" in page.content.decode()
    as_json = client.post("/newsletter/subscribe/", {"email": "a@example.org"}, headers={"Accept": "application/json"})
    assert as_json.status_code == 503
    assert json.loads(as_json.content) == {"ok": False, "message": MAINTENANCE_MESSAGE}


def test_any_other_failure_is_still_a_500(outside_a_view):
    client = outside_a_view("BugMiddleware")
    page = client.get("/")
    assert page.status_code == 500
    assert "Something went wrong" in page.content.decode()

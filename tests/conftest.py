"""Suite-wide fixtures: service markers, a clean cache per test, in-process
Celery for unit tests, and a Playwright browser on Debian's Chromium."""

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache

# The worker fixtures of tests.integration read it; a module may override it.
from tests.integration import celery_env  # noqa: F401

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _missing(marker: str) -> str | None:
    """Why a service a marker names is not available here, or None."""
    if marker == "postgres" and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs DATABASE_URL=postgres://…"
    if marker == "redis" and not settings.REDIS_URL:
        return "needs REDIS_URL"
    if marker == "browser" and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    if marker == "varnish":
        from tests.frontcache import varnish_missing

        return varnish_missing()
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "browser", "varnish"):
        if item.get_closest_marker(marker) and (reason := _missing(marker)):
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _forget_rendered_bodies():
    """Each test sees the media files it made: no body or image remembered from another."""
    from articles.body import _body_for_page
    from articles.images import stored_images_forget

    _body_for_page.cache_clear()
    stored_images_forget()
    yield


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Unit tests run tasks in-process; tests marked `worker` use a real worker."""
    from vivold.celery import app

    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()

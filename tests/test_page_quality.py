"""What professional checkers say about the reader's pages, on the demo content.

- axe-core (axe-playwright-python) in Debian's Chromium, light and dark schemes: no violations.
- The Nu HTML Checker (vnu.jar from the npm package vnu-jar, run with the machine's
  Java; `make test` installs it under var/node when npm is there): no errors.
- Reflow: no sideways scrolling at 320 CSS pixels; visible focus; print and reduced-motion styles.

To check another page, add one line to PAGES.
"""

import io
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from articles.models import Article, Topic

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
VNU_JAR = Path(os.environ.get("VNU_JAR", settings.BASE_DIR / "var/node/node_modules/vnu-jar/build/dist/vnu.jar"))

# name -> path, given the demo content (seed_demo).
PAGES = {
    "home": lambda demo: reverse("articles:home"),
    "article": lambda demo: demo.article.get_absolute_url(),
    "article-with-table": lambda demo: reverse("articles:detail", args=["ai-data-centre-capex-power-constraint"]),
    "topic": lambda demo: demo.topic.get_absolute_url(),
    "search": lambda demo: reverse("articles:search") + "?q=electricity",
    "search-no-results": lambda demo: reverse("articles:search") + "?q=zzzzqx",
    "newsletter": lambda demo: reverse("newsletter:signup"),
    "not-found": lambda demo: "/no-such-page/",
    "preview": lambda demo: _preview_path(demo.article),
}


def _preview_path(article: Article) -> str:
    """A preview link to the demo article, made a draft for the occasion."""
    from articles.services import preview_link_create

    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    return preview_link_create(article=article).get_absolute_url()


def demo_content() -> SimpleNamespace:
    call_command("seed_demo", stdout=io.StringIO())
    article = Article.objects.published().filter(body__contains="<h2>").first()
    return SimpleNamespace(article=article, topic=Topic.objects.filter(articles=article).first())


# The Nu HTML Checker, one JVM for the session, on a loopback port.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def html_checker():
    java = shutil.which("java")
    if not (java and VNU_JAR.is_file()):
        reason = f"needs Java and {VNU_JAR} (make test installs vnu-jar when npm is there)"
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but the HTML checker {reason}", pytrace=False)
        pytest.skip(reason)
    port = _free_port()
    process = subprocess.Popen(
        [java, "-Xss8m", "-Dnu.validator.servlet.bind-address=127.0.0.1"]
        + ["-cp", str(VNU_JAR), "nu.validator.servlet.Main", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/?out=json"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the Nu HTML Checker did not start", pytrace=False)
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def html_problems(checker_url: str, html: bytes) -> list[str]:
    request = urllib.request.Request(
        checker_url, data=html, headers={"Content-Type": "text/html; charset=utf-8"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        messages = json.load(response)["messages"]
    return [
        f"line {m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in messages
        if m["type"] != "info" or m.get("subType") == "warning"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_served_html_passes_the_nu_checker(client, html_checker, name):
    path = PAGES[name](demo_content())
    response = client.get(path)
    assert response.status_code == (404 if name == "not-found" else 200)
    problems = html_problems(html_checker, response.content)
    assert not problems, f"{path}:\n" + "\n".join(problems)


# axe-core and layout in Chromium, against the live server.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violations(live_server, page, name, scheme):
    from axe_playwright_python.sync_playwright import Axe

    path = PAGES[name](demo_content())
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + path)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(20, 24, 28)" if scheme == "dark" else "rgb(255, 255, 255)")
    results = Axe().run(page)
    assert results.violations_count == 0, f"{path} ({scheme}):\n{results.generate_report()}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", PAGES)
def test_text_reflows_at_320_pixels(live_server, page, name):
    path = PAGES[name](demo_content())
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320px ({width}px wide)"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_focus_print_and_motion_styles(live_server, page):
    demo = demo_content()
    page.goto(live_server.url + demo.article.get_absolute_url())
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "smooth"
    page.emulate_media(reduced_motion="reduce")

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is on screen"
    assert skip.evaluate("el => getComputedStyle(el).outlineStyle") != "none"

    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"

    page.emulate_media(media="print")
    assert page.locator(".stay-updated").first.is_hidden()
    assert page.locator(".site-header nav").is_hidden()
    assert page.locator(".article-body").is_visible()


def test_the_nu_checker_does_report_errors(html_checker):
    broken = (
        b'<!doctype html><html lang="en"><head><title>x</title></head><body><p id="a"><div id="a"></div></body></html>'
    )
    assert any("Duplicate ID" in problem for problem in html_problems(html_checker, broken))

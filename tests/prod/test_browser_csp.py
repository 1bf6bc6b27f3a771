"""In a real browser, under the real policy: the pages raise no CSP violation,
and the admin's rich-text editor starts (its import map runs by nonce)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.articles.factories import ArticleFactory, TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def watched_page(page):
    # Playwright injects this through the DevTools protocol, outside the page's policy.
    page.add_init_script(COLLECT_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.console_messages = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_reader_pages_raise_no_csp_violation(live_server, watched_page):
    topic = TopicFactory(name="Energy", slug="energy")
    article = ArticleFactory(title="Grids under strain", topics=[topic])
    for path in [reverse("articles:home"), article.get_absolute_url(), topic.get_absolute_url(), "/nothing-here/"]:
        watched_page.goto(live_server.url + path)
        watched_page.wait_for_load_state("load")
        # The stylesheet applied: styles come from our own file, not inline.
        assert watched_page.evaluate("document.styleSheets.length") >= 1
        assert violations(watched_page) == [], path


def test_the_admin_editor_works_under_the_policy(live_server, watched_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_superuser("editor", "editor@example.org", "a long and careful passphrase")
    page = watched_page
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a long and careful passphrase")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + reverse("admin:index"))

    response = page.goto(live_server.url + reverse("admin:articles_article_add"))
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "'nonce-" in csp
    editor = page.locator(".ProseMirror[contenteditable=true]")
    editor.wait_for(state="visible")
    editor.click()
    page.keyboard.type("Typed under a strict policy")
    assert "Typed under a strict policy" in editor.inner_text()
    # Nothing refused: not the import map (nonce), not the editor's base style (hash).
    assert violations(page) == []
    assert not [m for m in page.console_messages if "Content Security Policy" in m]
    assert page.locator("style[data-tiptap-style]").count() == 1

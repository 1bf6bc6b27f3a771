"""An editor's safety nets in Debian's Chromium: autosave, the leave warning,
restoring a revision, preview links for a reviewer with no account, scheduling."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from articles.models import Article

from .factories import ArticleFactory, TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"  # noqa: S105


@pytest.fixture
def editor_page(live_server, page):
    User.objects.create_superuser("editor", "editor@example.com", PASSWORD)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/admin/")
    return page


@pytest.fixture
def draft():
    return ArticleFactory(
        title="Grid storage moves to the balance sheet",
        status=Article.Status.DRAFT,
        published_at=None,
        body="<p>Utilities are buying batteries.</p>",
        topics=[TopicFactory(name="Energy")],
    )


def _until(page, script: str, tries: int = 100) -> None:
    """Poll a condition in the page (wait_for_function evaluates strings, which our CSP refuses)."""
    for _ in range(tries):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def _open(page, live_server, article):
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    editor = page.locator(".field-body [contenteditable=true].ProseMirror")
    editor.wait_for()
    return editor


def test_typed_text_is_offered_back_after_a_reload(live_server, editor_page, draft):
    page = editor_page
    editor = _open(page, live_server, draft)
    page.locator("#id_dek").fill("Kept by the browser, not the server.")
    editor.click()
    editor.press("End")
    editor.press_sequentially(" Written before the tab closed.")
    _until(page, "() => Object.keys(localStorage).some(k => k.startsWith('vivold.autosave:'))")
    page.wait_for_timeout(500)  # the last keystrokes' debounce

    page.on("dialog", lambda dialog: dialog.accept())
    page.reload()
    offer = page.locator("#autosave-offer")
    offer.wait_for(state="visible")
    assert "kept changes you had not saved" in offer.inner_text()
    # Nothing reached the server: no revision, no change to the stored article.
    draft.refresh_from_db()
    assert "Written before" not in draft.body and draft.history.count() == 1
    assert page.locator("#id_dek").input_value() == draft.dek

    offer.get_by_role("button", name="Restore them").click()
    assert page.locator("#id_dek").input_value() == "Kept by the browser, not the server."
    assert (
        "Written before the tab closed." in page.locator(".field-body [contenteditable=true].ProseMirror").inner_text()
    )
    page.locator("input[name=_continue]").last.click()
    page.wait_for_url(re.compile(r"/change/$"))
    draft.refresh_from_db()
    assert "Written before the tab closed." in draft.body and draft.dek == "Kept by the browser, not the server."
    assert page.locator("#autosave-offer").is_hidden()


def test_leaving_with_unsaved_changes_asks_first(live_server, editor_page, draft):
    page = editor_page
    editor = _open(page, live_server, draft)
    editor.click()
    editor.press_sequentially(" An unsaved sentence.")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.locator("#site-name a").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert "/change/" in page.url


def test_restoring_an_older_revision_shows_on_the_page(live_server, editor_page):
    page = editor_page
    article = ArticleFactory(title="Rates hold steady", body="<p>The first, careful wording.</p>")
    article.title, article.body = "Rates hold (rewritten)", "<p>A hasty rewrite.</p>"
    article.save()
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/revisions/")
    oldest = page.locator(".revision").last
    assert "careful" in oldest.inner_text()
    assert "careful wording." in page.locator(".revision").first.locator("del").all_inner_texts()
    oldest.get_by_role("button", name="Restore this revision").click()
    page.wait_for_url(re.compile(r"/change/$"))
    assert "is back" in page.locator(".messagelist").inner_text()

    page.goto(live_server.url + article.get_absolute_url())
    assert page.locator("h1").inner_text() == "Rates hold steady"
    assert "The first, careful wording." in page.locator("article").inner_text()


def test_a_reviewer_opens_a_preview_link_without_login_until_it_is_revoked(live_server, editor_page, browser, draft):
    page = editor_page
    page.goto(f"{live_server.url}/admin/articles/article/{draft.pk}/preview-links/")
    page.get_by_role("button", name="Make a preview link").click()
    link = page.locator("input.preview-url").first.input_value()
    assert "/preview/" in link

    reviewer = browser.new_context()  # no cookies, no login
    try:
        review = reviewer.new_page()
        response = review.goto(link)
        assert response.status == 200
        assert "no-store" in response.headers["cache-control"]
        assert review.locator("h1").inner_text() == draft.title
        assert review.locator(".preview-banner").inner_text().startswith("Preview")
        assert "Utilities are buying batteries." in review.locator("article").inner_text()

        page.get_by_role("button", name="Revoke", exact=True).click()
        page.wait_for_load_state()
        assert "Revoked" in page.locator(".preview-links").inner_text()
        response = review.goto(link)
        assert response.status == 410
        assert "Utilities are buying batteries." not in review.content()
    finally:
        reviewer.close()


def test_schedule_with_the_schedule_action(live_server, editor_page, draft):
    page = editor_page
    _open(page, live_server, draft)
    when = timezone.localtime() + timedelta(days=2)
    page.locator("#id_published_at_0").fill(when.strftime("%Y-%m-%d"))
    page.locator("#id_published_at_1").fill("09:30:00")
    page.get_by_role("button", name="Schedule for the publication date").last.click()
    page.wait_for_url(live_server.url + "/admin/articles/article/")
    assert "is scheduled" in page.locator(".messagelist").inner_text()
    row = page.locator("#result_list tbody tr", has_text=draft.title)
    assert row.locator("td.field-status_label").inner_text() == f"Scheduled · {when:%-d %b %Y}, 09:30"
    draft.refresh_from_db()
    assert draft.publication_state == "Scheduled"
    assert timezone.localtime(draft.published_at).strftime("%Y-%m-%d %H:%M") == when.strftime("%Y-%m-%d 09:30")
    assert Client().get(draft.get_absolute_url()).status_code == 404  # a reader sees nothing before its time

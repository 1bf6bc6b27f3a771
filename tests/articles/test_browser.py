"""A reader and an editor, in Debian's Chromium, against a live server."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article

from .admin_browser import choose, editor_signs_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=None)


def test_reader_opens_an_article_and_follows_a_related_link(live_server, page, demo):
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Latest insights"
    first = page.locator(".card-title a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/articles/[\w-]+/$"))
    assert page.locator("h1").inner_text() == title

    for heading in ("Key Insights", "Stay Updated", "Related Articles"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    assert page.get_by_label("Email", exact=True).is_visible()
    assert page.get_by_role("button", name="Subscribe").is_visible()

    related = page.locator("section.related h3 a").first
    related_title = related.inner_text()
    related.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == related_title
    assert related_title != title


def test_editor_writes_and_publishes_an_article(live_server, page, demo):
    editor_signs_in(page, live_server)

    page.goto(live_server.url + "/admin/articles/article/add/")
    # A new article starts at its title: not at a button, and not at the hidden one Enter presses.
    page.wait_for_function("document.activeElement.id === 'id_title'")
    # One row of actions above the form and one below, each holding the publishing buttons and the saves.
    rows = page.locator(".submit-row")
    assert rows.count() == 2 and page.locator(".publishing-actions").count() == 2
    for name in ("_save_as_draft", "_publish_now", "_schedule", "_save", "_continue"):
        shown = f"[name={name}]:not(.publishing-default)"
        assert rows.first.locator(shown).count() == 1 and rows.last.locator(shown).count() == 1
    # The paragraph-style menu's arrow is drawn, not a character that most fonts lack (an empty box).
    menu = page.locator(".field-body .prose-menubar__selected")
    assert menu.evaluate("element => getComputedStyle(element, '::after').content") == '""'
    page.locator("#id_title").press_sequentially("Chip export rules reshape cloud contracts")
    assert page.locator("#id_slug").input_value() == "chip-export-rules-reshape-cloud-contracts"
    page.locator("#id_dek").fill("Procurement teams are rewriting exit clauses.")
    page.locator("#id_key_insights").fill("Contracts now plan for access being withdrawn overnight.")

    editor = page.locator(".field-body [contenteditable=true].ProseMirror")
    editor.click()
    # The editor's input rules: "## " starts a heading, "- " a bullet list.
    editor.press_sequentially("## What changed")
    editor.press("Enter")
    editor.press_sequentially("Three shifts stand out:")
    editor.press("Enter")
    editor.press_sequentially("- Notice periods")
    editor.press("Enter")
    editor.press_sequentially("Fallback providers")
    assert editor.locator("h2").inner_text() == "What changed"
    assert editor.locator("ul li").count() == 2

    page.locator("#id_status").select_option("published")
    when = timezone.localtime() - timedelta(minutes=1)
    page.locator("#id_published_at_0").fill(when.strftime("%Y-%m-%d"))
    page.locator("#id_published_at_1").fill(when.strftime("%H:%M:%S"))
    choose(page, "id_author", Article.objects.first().author.name)
    choose(page, "id_topics", "AI Strategy")
    page.locator("input[name=_save]").last.click()
    page.wait_for_url(live_server.url + "/admin/articles/article/")
    assert page.locator(".messagelist .success").count() == 1

    article = Article.objects.get(slug="chip-export-rules-reshape-cloud-contracts")
    assert "<h2>What changed</h2>" in article.body
    assert re.search(r"<ul><li><p>Notice periods</p></li><li><p>Fallback providers</p></li></ul>", article.body)

    page.goto(live_server.url + "/")
    assert page.locator(".card-title a").first.inner_text() == "Chip export rules reshape cloud contracts"
    page.get_by_role("link", name="Chip export rules reshape cloud contracts").click()
    page.wait_for_url(re.compile(r"/articles/chip-export-rules-reshape-cloud-contracts/$"))
    assert page.locator("article h2").first.inner_text() == "What changed"


def test_enter_in_a_field_saves_a_published_article_and_keeps_it_published(live_server, page, demo):
    article = Article.objects.published().first()
    editor_signs_in(page, live_server)
    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    page.locator("#id_dek").fill("A shorter dek, saved with Enter.")
    page.locator("#id_dek").press("Enter")
    page.wait_for_url(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    assert page.locator(".messagelist .success").count() == 1
    article.refresh_from_db()
    assert article.dek == "A shorter dek, saved with Enter."
    assert article.is_live
    # Out of sight and out of the tab order: Tab from the last field never lands on it.
    assert page.locator(".publishing-default").first.bounding_box()["width"] <= 1

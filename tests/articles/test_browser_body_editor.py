"""An analyst puts charts, a table and a callout in a body, in Debian's Chromium, and a reader sees them."""

import base64
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from articles.models import Article
from tests.articles.factories import AuthorFactory, TopicFactory

from .admin_browser import choose, editor_signs_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITOR = ".field-body .ProseMirror[contenteditable=true]"

# A file the page builds from bytes and hands to a DataTransfer, as a drop or a paste from the desktop does.
_DROP = """([selector, data, name, type, x, y]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
  const transfer = new DataTransfer()
  transfer.items.add(new File([bytes], name, { type }))
  const target = document.querySelector(selector)
  const init = { dataTransfer: transfer, clientX: x, clientY: y, bubbles: true, cancelable: true }
  target.dispatchEvent(new DragEvent("drop", init))
}"""
_PASTE = """([selector, data, name, type]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
  const transfer = new DataTransfer()
  transfer.items.add(new File([bytes], name, { type }))
  const target = document.querySelector(selector)
  target.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }))
}"""


def chart(path, size=(1600, 900)) -> str:
    image = Image.new("RGB", size, (240, 244, 248))
    draw = ImageDraw.Draw(image)
    for i, height in enumerate((300, 520, 410, 680)):
        draw.rectangle([150 + i * 330, 850 - height, 380 + i * 330, 850], fill=(11, 92, 173))
    image.save(path, format="PNG")
    return str(path)


def jpeg_bytes(size=(1200, 700)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def editor_page(live_server, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    editor_signs_in(page, live_server, landing="/admin/articles/article/add/")
    page.locator(EDITOR).wait_for()
    return page


def _image_dialog(page):
    dialog = page.locator("dialog.vivold-image-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_an_editor_puts_charts_a_table_and_a_callout_in_the_body(live_server, editor_page, tmp_path, browser):
    page = editor_page
    AuthorFactory(name="Hannah Okafor")
    TopicFactory(name="Markets & Capital", slug="markets")
    page.locator("#id_title").fill("Cloud revenue in four charts")
    page.locator("#id_dek").fill("What the filings show.")
    page.locator("#id_key_insights").fill("Revenue rose in three of four quarters.")
    editor = page.locator(EDITOR)
    assert editor.get_attribute("spellcheck") == "true"
    editor.click()
    editor.press_sequentially("The quarter in one chart.")

    # 1. The toolbar's Image button: a file, alt text (required) and a caption.
    page.get_by_title("Image: upload a chart or photo").click()
    dialog = _image_dialog(page)
    dialog.get_by_label("Image file").set_input_files(chart(tmp_path / "revenue.png"))
    dialog.get_by_role("button", name="Upload and insert").click()
    assert dialog.get_by_label("Alt text").evaluate("input => input.validity.valueMissing")
    expect(dialog).to_be_visible()  # no alt text, no upload
    dialog.get_by_label("Alt text").fill("Bar chart: revenue by quarter")
    dialog.get_by_label("Caption (optional)").fill("Revenue by quarter, € million")
    dialog.get_by_role("button", name="Upload and insert").click()
    expect(editor.locator("figure")).to_have_count(1)
    expect(editor.locator("figure figcaption")).to_have_text("Revenue by quarter, € million")

    # 2. A file dropped from the desktop onto the body.
    box = editor.bounding_box()
    page.evaluate(_DROP, [EDITOR, jpeg_bytes(), "site.jpg", "image/jpeg", box["x"] + 40, box["y"] + 10])
    dialog = _image_dialog(page)
    expect(dialog.locator(".vivold-image-dialog__file")).to_contain_text("site.jpg")
    dialog.get_by_label("Alt text").fill("The data centre site in March")
    dialog.get_by_role("button", name="Upload and insert").click()
    expect(editor.locator("figure")).to_have_count(2)

    # 3. An image pasted from the clipboard.
    editor.locator("p").first.click()
    page.keyboard.press("End")
    page.evaluate(_PASTE, [EDITOR, jpeg_bytes((900, 500)), "image.png", "image/jpeg"])
    dialog = _image_dialog(page)
    dialog.get_by_label("Alt text").fill("Pasted: capacity by region")
    dialog.get_by_label("Caption (optional)").fill("Capacity, gigawatts")
    dialog.get_by_role("button", name="Upload and insert").click()
    expect(editor.locator("figure")).to_have_count(3)

    # 4. A table with a header row, and a callout.
    editor.locator("p").first.click()
    page.keyboard.press("End")
    page.get_by_title("Insert table").click()
    page.locator("dialog.prose-editor-dialog").get_by_role("button", name="Insert table").click()  # 3×3, headings
    expect(editor.locator("table th")).to_have_count(3)
    page.keyboard.type("Quarter")
    page.keyboard.press("Tab")
    page.keyboard.type("Revenue")
    page.keyboard.press("Tab")
    page.keyboard.type("Change")
    page.keyboard.press("Tab")
    page.keyboard.type("Q1")
    editor.locator("p", has_text="The quarter in one chart.").click()
    page.get_by_title("Callout: a boxed note").click()
    expect(editor.locator(".callout p")).to_have_text("The quarter in one chart.")

    # Publish.
    page.locator("#id_status").select_option("published")
    when = timezone.localtime() - timedelta(minutes=1)
    page.locator("#id_published_at_0").fill(when.strftime("%Y-%m-%d"))
    page.locator("#id_published_at_1").fill(when.strftime("%H:%M:%S"))
    choose(page, "id_author", "Hannah Okafor")
    choose(page, "id_topics", "Markets")
    page.locator("input[name=_save]").last.click()
    page.wait_for_url(live_server.url + "/admin/articles/article/")

    article = Article.objects.get(slug="cloud-revenue-in-four-charts")
    sources = re.findall(r'<img src="([^"]+)"', article.body)
    assert len(sources) == 3 and all(src.startswith("/media/articles/body/") for src in sources)
    assert article.body.count("<figure>") == 3 and article.body.count("<figcaption>") == 2
    assert 'alt="Bar chart: revenue by quarter" width="1600" height="900"' in article.body
    assert '<div class="callout"><p>The quarter in one chart.</p></div>' in article.body
    assert "<th" in article.body and "<p>Quarter</p>" in article.body

    # A reader on a laptop sees the figures, the table and the callout.
    page.goto(live_server.url + article.get_absolute_url())
    body = page.locator("article.article-body")
    figure = body.locator("figure").filter(has=page.locator("figcaption", has_text="Revenue by quarter"))
    expect(figure.locator("img")).to_have_attribute("alt", "Bar chart: revenue by quarter")
    figure.scroll_into_view_if_needed()
    expect(figure.locator("img")).to_have_js_property("complete", True)
    laptop = figure.locator("img").evaluate("img => img.currentSrc")
    expect(body.get_by_role("columnheader", name="Quarter")).to_be_visible()
    expect(body.get_by_role("note")).to_contain_text("The quarter in one chart.")

    # On a phone, the browser picks a narrower copy of the same chart.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        reader = phone.new_page()
        reader.goto(live_server.url + article.get_absolute_url())
        img = reader.locator("article.article-body figure", has_text="Revenue by quarter").locator("img")
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        small = img.evaluate("img => img.currentSrc")
        assert small.endswith("-480w.png"), small
        assert laptop.endswith("-960w.png"), laptop
        assert reader.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    finally:
        phone.close()


_PASTE_HTML = """([selector, html]) => {
  const transfer = new DataTransfer()
  transfer.setData("text/html", html)
  transfer.setData("text/plain", "Region\\tGW\\nEU\\t12")
  // A spreadsheet also puts a picture of the cells on the clipboard.
  transfer.items.add(new File([new Uint8Array([137, 80, 78, 71])], "cells.png", { type: "image/png" }))
  const target = document.querySelector(selector)
  target.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }))
}"""


def test_a_pasted_spreadsheet_range_stays_a_table_and_other_files_are_refused(editor_page):
    page = editor_page
    editor = page.locator(EDITOR)
    editor.click()
    editor.press_sequentially("Capacity by region:")
    html = "<table><tr><th>Region</th><th>GW</th></tr><tr><td>EU</td><td>12</td></tr></table>"
    page.evaluate(_PASTE_HTML, [EDITOR, html])
    expect(editor.locator("table th")).to_have_count(2)
    expect(editor.locator("table td").first).to_have_text("EU")
    expect(page.locator("dialog.vivold-image-dialog")).to_have_count(0)  # the table, not its picture

    box = editor.bounding_box()
    pdf = base64.b64encode(b"%PDF-1.4 report").decode()
    page.evaluate(_DROP, [EDITOR, pdf, "report.pdf", "application/pdf", box["x"] + 40, box["y"] + 10])
    expect(page.locator(".vivold-editor-message")).to_contain_text("Only JPEG, PNG, WebP or GIF images")
    expect(page.locator("dialog.vivold-image-dialog")).to_have_count(0)
    assert "report" not in page.locator("#id_body").input_value()

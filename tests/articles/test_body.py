"""Charts, tables and callouts in the body: what is stored, and what a page, a feed and a mail make of it."""

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from articles.images import body_image_store, image_reencode
from digests.models import Digest
from digests.rendering import digest_render
from tests.articles.factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db

SITE = "http://testserver.example"

ANALYSIS = (
    "<p>Opening.</p>"
    '<figure class="figure"><img src="{src}" alt="Revenue by quarter" width="1600" height="900" data-file="7">'
    '<figcaption class="figure-caption">Source: filings</figcaption></figure>'
    '<table><tbody><tr><th colspan="1" rowspan="1"><p>Quarter</p></th><th colspan="1" rowspan="1"><p>€m</p></th></tr>'
    '<tr><td colspan="1" rowspan="1"><p>Q1</p></td><td colspan="1" rowspan="1"><p>412</p></td></tr></tbody></table>'
    '<div class="callout"><p><strong>Method.</strong> Company filings.</p></div>'
)


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = SITE
    return settings.MEDIA_ROOT


def png(size=(1600, 900), colour=(11, 92, 173)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_chart(size=(1600, 900)):
    upload = SimpleUploadedFile("chart.png", png(size), content_type="image/png")
    return body_image_store(image=image_reencode(upload=upload, max_bytes=8 << 20, max_pixels=40_000_000))


# --- the sanitizer -------------------------------------------------------------


def test_the_sanitizer_keeps_what_the_editor_makes(media_root):
    article = ArticleFactory(body=ANALYSIS.format(src="/media/articles/body/chart.png"))
    article.refresh_from_db()
    assert article.body == (
        "<p>Opening.</p>"
        '<figure><img src="/media/articles/body/chart.png" alt="Revenue by quarter" width="1600" height="900">'
        "<figcaption>Source: filings</figcaption></figure>"
        '<table><tbody><tr><th colspan="1" rowspan="1"><p>Quarter</p></th><th colspan="1" rowspan="1"><p>€m</p></th>'
        '</tr><tr><td colspan="1" rowspan="1"><p>Q1</p></td><td colspan="1" rowspan="1"><p>412</p></td></tr></tbody>'
        '</table><div class="callout"><p><strong>Method.</strong> Company filings.</p></div>'
    )


@pytest.mark.parametrize(
    ("hostile", "gone", "kept"),
    [
        ('<figure onclick="steal()"><img src="/media/a.png" alt="a"></figure>', "onclick", "<figure><img"),
        ('<img src="/media/a.png" alt="a" onerror="alert(1)" title="t" style="x">', "onerror", 'alt="a"'),
        ('<img src="/media/a.png" alt="a" title="t" style="width:9999px">', "style=", 'alt="a"'),
        ('<img src="/media/a.png" alt="a" title="t" lang="xx">', "title=", 'alt="a"'),
        ('<img src="javascript:alert(1)" alt="a">', "javascript:", 'alt="a"'),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="a">', "data:", 'alt="a"'),
        ('<img src="/media/a.png" alt="a" srcset="https://evil.example/x.png 1w">', "srcset", 'alt="a"'),
        ('<div class="callout evil" style="position:fixed"><p>n</p></div>', "evil", '<div class="callout">'),
        ('<div class="overlay"><p>n</p></div>', "overlay", "<p>n</p>"),
        ('<div class="callout" onmouseover="x()"><p>n</p></div>', "onmouseover", '<div class="callout">'),
        ('<table><tr><td style="background:url(x)" onclick="x()">1</td></tr></table>', "onclick", "<td>1</td>"),
        ('<table><caption>c</caption><colgroup><col width="9"></colgroup><tr><th>h</th></tr></table>', "<col", "<th>"),
        ("<aside><p>n</p></aside><section><p>s</p></section>", "<aside", "<p>n</p>"),
        ('<p>x</p><figure><svg onload="alert(1)"><circle/></svg></figure>', "<svg", "<p>x</p>"),
        ('<figcaption class="x" id="y">c</figcaption>', "id=", "<figcaption>c</figcaption>"),
    ],
)
def test_the_sanitizer_drops_everything_else(media_root, hostile, gone, kept):
    article = ArticleFactory(body=hostile)
    article.refresh_from_db()
    assert gone not in article.body
    assert kept in article.body


# --- stored addresses ------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        f"{SITE}/media/articles/body/2026/12/abc.png",  # the public origin
        "http://127.0.0.1:8000/media/articles/body/2026/12/abc.png",  # the old upload page under make run
        "http://localhost:8300/media/articles/body/2026/12/abc.png",
    ],
)
def test_our_image_addresses_are_stored_site_relative(media_root, written):
    article = ArticleFactory(body=f'<figure><img src="{written}" alt="A chart"></figure>')
    article.refresh_from_db()
    assert 'src="/media/articles/body/2026/12/abc.png"' in article.body
    assert "http" not in article.body


def test_other_sites_images_keep_their_address(media_root):
    article = ArticleFactory(body='<p><img src="https://images.example.org/media/x.png" alt="Theirs"></p>')
    article.refresh_from_db()
    assert 'src="https://images.example.org/media/x.png"' in article.body


def test_an_uploaded_image_is_stored_with_a_relative_address_and_its_size(media_root):
    stored = stored_chart()
    assert stored.url.startswith("/media/articles/body/") and "://" not in stored.url
    assert (stored.width, stored.height) == (1600, 900)
    assert [width for width, _ in stored.variants] == [480, 960, 1440]
    assert all(url.startswith("/media/articles/body/") for _, url in stored.variants)


# --- the page --------------------------------------------------------------------


def _page(client, article) -> BeautifulSoup:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_the_page_serves_the_chart_in_several_widths_lazily(client, media_root):
    stored = stored_chart()
    article = ArticleFactory(body=ANALYSIS.format(src=stored.url))
    body = _page(client, article).find("article", class_="article-body")
    img = body.find("figure").find("img")
    candidates = dict(reversed(c.strip().split(" ")) for c in img["srcset"].split(","))
    assert sorted(candidates) == ["1440w", "480w", "960w"]
    assert all(client.get(url).status_code == 200 for url in candidates.values())
    assert img["sizes"] and img["loading"] == "lazy"
    assert (img["width"], img["height"]) == ("1600", "900")
    assert img["alt"] == "Revenue by quarter"
    assert body.find("figure").find("figcaption").get_text() == "Source: filings"
    # The table scrolls in its own box on a phone; its first row heads the columns.
    table = body.find("div", class_="table-scroll").find("table")
    assert [th["scope"] for th in table.find_all("th")] == ["col", "col"]
    assert body.find("div", class_="callout")["role"] == "note"


def test_a_small_chart_is_offered_at_its_own_width_too(client, media_root):
    stored = stored_chart(size=(700, 400))
    article = ArticleFactory(body=f'<figure><img src="{stored.url}" alt="Small" width="700" height="400"></figure>')
    img = _page(client, article).find("article", class_="article-body").find("img")
    assert [c.strip().rsplit(" ", 1)[1] for c in img["srcset"].split(",")] == ["480w", "700w"]


def test_an_image_narrower_than_the_column_is_shown_at_its_own_width(client, media_root):
    stored = stored_chart(size=(400, 300))
    article = ArticleFactory(body=f'<figure><img src="{stored.url}" alt="Narrow" width="400" height="300"></figure>')
    img = _page(client, article).find("article", class_="article-body").find("img")
    # On a wide screen the browser picks (and lays out) 400 px, not the 42rem column.
    assert img["sizes"] == "(min-width: 432px) 400px, calc(100vw - 2rem)"
    wide = ArticleFactory(body=ANALYSIS.format(src=stored_chart().url))
    assert (
        _page(client, wide)
        .find("article", class_="article-body")
        .find("img")["sizes"]
        .startswith("(min-width: 44rem) 42rem")
    )


def test_a_body_image_whose_file_is_missing_still_renders_with_its_alt_text(client, media_root):
    article = ArticleFactory(
        body='<figure><img src="/media/articles/body/2026/01/gone.png" alt="Chart of exports" width="800" '
        'height="400"><figcaption>Exports</figcaption></figure>'
    )
    img = _page(client, article).find("article", class_="article-body").find("img")
    assert img["alt"] == "Chart of exports"
    assert img["src"] == "/media/articles/body/2026/01/gone.png"
    assert "srcset" not in img.attrs and "width" not in img.attrs


def test_the_hero_image_shows_on_the_page_on_cards_and_as_og_image(client, media_root):
    article = ArticleFactory(hero_image_alt="Data centre at dusk", topics=[TopicFactory(slug="power")])
    article.hero_image.save("hero.png", ContentFile(png((2000, 1000))), save=False)
    article.save()
    page = _page(client, article)
    hero = page.find("figure", class_="hero").find("img")
    assert hero["alt"] == "Data centre at dusk" and hero["fetchpriority"] == "high" and "loading" not in hero.attrs
    assert "480w" in hero["srcset"] and "1440w" in hero["srcset"]
    og = page.find("meta", property="og:image")["content"]
    assert og.startswith(f"{SITE}/media/articles/")
    for listing in (reverse("articles:home"), reverse("articles:topic", kwargs={"slug": "power"})):
        card = BeautifulSoup(client.get(listing).content.decode(), "html.parser").find("article", class_="card")
        card_img = card.find("img")
        assert card_img["alt"] == "Data centre at dusk" and "480w" in card_img["srcset"]


def test_a_hero_image_whose_file_is_missing_renders_plainly(client, media_root):
    article = ArticleFactory(hero_image="articles/2026/01/gone.jpg", hero_image_alt="Gone")
    img = _page(client, article).find("figure", class_="hero").find("img")
    assert img["alt"] == "Gone" and "srcset" not in img.attrs


# --- feeds and mail ----------------------------------------------------------------


@pytest.mark.parametrize("feed", ["articles:feed", "articles:feed_rss"])
def test_feeds_carry_absolute_image_addresses_and_plain_tables(client, media_root, feed):
    stored = stored_chart()
    ArticleFactory(body=ANALYSIS.format(src=stored.url))
    root = ET.fromstring(client.get(reverse(feed)).content)
    contents = [el.text for el in root.iter() if el.tag.endswith(("content", "encoded")) and el.text]
    assert len(contents) == 1
    content = BeautifulSoup(contents[0], "html.parser")
    assert content.find("img")["src"] == f"{SITE}{stored.url}"
    assert "srcset" not in content.find("img").attrs
    assert content.find("table") and not content.find(class_="table-scroll")
    assert content.find("div", class_="callout")


def test_the_digest_mail_shows_the_hero_image_at_an_absolute_address(media_root):
    article = ArticleFactory(hero_image_alt="Turbines")
    article.hero_image.save("hero.png", ContentFile(png((2000, 1000))), save=False)
    article.save()
    now = timezone.now()
    digest = Digest.objects.create(
        cadence="weekly", period_start=now - timedelta(days=7), period_end=now, subject="Weekly"
    )
    html = digest_render(digest=digest, articles=[article]).html
    img = BeautifulSoup(html, "html.parser").find("img", alt="Turbines")
    assert re.fullmatch(rf"{re.escape(SITE)}/media/articles/.+-1440w\.png", img["src"])  # twice the column
    assert (img["width"], img["height"]) == ("552", "276")
    assert "max-width" in img["style"]  # the stylesheet inlined, as mail clients need


# --- the editor ---------------------------------------------------------------------


def test_the_editor_has_our_extensions_and_spellcheck(admin_client):
    page = admin_client.get(reverse("admin:articles_article_add")).content.decode()
    textarea = BeautifulSoup(page, "html.parser").find("textarea", id="id_body")
    config = json.loads(textarea["data-django-prose-editor-configurable"])
    extensions = config["extensions"]
    for name in ("Figure", "Image", "Caption", "ImageUpload", "DataTable", "Callout", "SpellCheck"):
        assert name in extensions
    assert "NoSpellCheck" not in extensions
    assert extensions["ImageUpload"]["uploadUrl"] == reverse("admin:articles_article_upload_image")
    assert any(module.endswith("js/article-editor.js") for module in config["js_modules"])

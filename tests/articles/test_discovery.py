"""Feeds, sitemap, robots.txt, social and structured metadata, and the table of contents."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.reading import body_outline
from tests.html import soup

from .factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db

SITE = settings.SITE_URL
LONG_BODY = (
    "<h2>Where the money goes</h2><p>Capital first.</p>"
    "<h2>Power &amp; grids</h2><p>Then <a href='/topics/markets/'>electricity</a>.</p>"
    "<h2>Where the money goes</h2><p>Again.</p>"
    "<h2><b>What</b> to watch</h2><p>Last.</p>"
)


@pytest.fixture
def published():
    markets = TopicFactory(name="Markets & Capital", slug="markets")
    policy = TopicFactory(name="Policy", slug="policy")
    author = AuthorFactory(name="Hannah Okafor", role="Research director")
    older = ArticleFactory(
        title="Grid queues slow the build-out",
        key_insights="Connections, not chips, set the pace & the price.",
        body=LONG_BODY,
        author=author,
        topics=[markets, policy],
        published_at=timezone.now() - timedelta(days=2),
    )
    newer = ArticleFactory(title="Sovereign buyers write new rules", topics=[policy])
    ArticleFactory(title="Draft not for feeds", status=Article.Status.DRAFT, published_at=None, topics=[markets])
    ArticleFactory(title="Scheduled not for feeds", published_at=timezone.now() + timedelta(days=1), topics=[markets])
    return {"older": older, "newer": newer, "markets": markets, "policy": policy}


def parse_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return response, feed


@pytest.mark.parametrize(
    ("url", "version", "content_type"),
    [("/feed/", "atom10", "application/atom+xml"), ("/feed/rss/", "rss20", "application/rss+xml")],
)
def test_site_feeds_carry_every_field(client, published, url, version, content_type):
    response, feed = parse_feed(client, url)
    assert response["Content-Type"].startswith(content_type)
    assert feed.version == version
    assert feed.feed.title == "Vivold Insights"
    assert [entry.title for entry in feed.entries] == [
        "Sovereign buyers write new rules",
        "Grid queues slow the build-out",
    ]
    entry = feed.entries[1]
    article = published["older"]
    assert entry.link == f"{SITE}{article.get_absolute_url()}"
    assert entry.published_parsed[:5] == article.published_at.utctimetuple()[:5]
    assert entry.updated_parsed[:5] == article.updated_at.utctimetuple()[:5]
    assert entry.author == "Hannah Okafor"
    assert sorted(tag.term for tag in entry.tags) == ["Markets & Capital", "Policy"]
    assert entry.summary == "Connections, not chips, set the pace &amp; the price."  # HTML, so & is escaped
    content = entry.content[0]
    assert content.type == "text/html"
    assert "<h2>Power &amp; grids</h2>" in content.value
    assert f'href="{SITE}/topics/markets/"' in content.value  # relative links made absolute


def test_atom_content_is_typed_html(client, published):
    root = ET.fromstring(client.get("/feed/").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    contents = root.findall("a:entry/a:content", ns)
    assert contents and all(c.get("type") == "html" for c in contents)
    assert root.find("a:link[@rel='self']", ns).get("href") == f"{SITE}/feed/"


def test_topic_feed_lists_only_that_topic(client, published):
    _, feed = parse_feed(client, reverse("articles:topic_feed", kwargs={"slug": "markets"}))
    assert feed.version == "atom10"
    assert feed.feed.title == "Markets & Capital · Vivold Insights"
    assert [entry.title for entry in feed.entries] == ["Grid queues slow the build-out"]
    assert client.get("/topics/nothing-here/feed/").status_code == 404


def test_every_page_advertises_the_feeds(client, published):
    for url in ["/", published["older"].get_absolute_url(), "/search/?q=grid", "/newsletter/", "/nope/"]:
        page = soup(client.get(url))
        types = {link["type"]: link["href"] for link in page.find_all("link", rel="alternate")}
        assert types["application/atom+xml"] == "/feed/", url
        assert types["application/rss+xml"] == "/feed/rss/", url
    topic_page = soup(client.get("/topics/markets/"))
    hrefs = [link["href"] for link in topic_page.find_all("link", rel="alternate")]
    assert "/topics/markets/feed/" in hrefs


def test_sitemap_lists_published_articles_and_topics(client, published):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = {url.findtext("s:loc", namespaces=ns): url.findtext("s:lastmod", namespaces=ns) for url in root}
    older, newer = published["older"], published["newer"]
    assert set(entries) == {
        f"{SITE}{older.get_absolute_url()}",
        f"{SITE}{newer.get_absolute_url()}",
        f"{SITE}/topics/markets/",
        f"{SITE}/topics/policy/",
    }
    assert entries[f"{SITE}{older.get_absolute_url()}"] == older.updated_at.date().isoformat()
    assert entries[f"{SITE}/topics/policy/"] == newer.published_at.date().isoformat()


def test_robots_txt_points_at_the_sitemap_and_keeps_private_pages_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    for path in ["/admin/", "/newsletter/confirm/", "/newsletter/unsubscribe/", "/newsletter/preferences/"]:
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


def json_ld(page) -> dict:
    blocks = []
    for script in page.find_all("script", type="application/ld+json"):
        data = json.loads(script.string)
        blocks += data if isinstance(data, list) else [data]
    return {block["@type"]: block for block in blocks}


def test_article_json_ld(client, published):
    article = published["older"]
    page = soup(client.get(article.get_absolute_url()))
    data = json_ld(page)
    news = data["NewsArticle"]
    assert news["@context"] == "https://schema.org"
    assert news["headline"] == article.title
    assert news["description"] == article.key_insights
    assert news["datePublished"] == article.published_at.isoformat()
    assert news["dateModified"] == article.updated_at.isoformat()
    assert news["author"] == {"@type": "Person", "name": "Hannah Okafor", "jobTitle": "Research director"}
    assert news["publisher"]["@type"] == "Organization" and news["publisher"]["logo"]["url"].startswith(SITE)
    assert news["image"] and news["image"][0].startswith(SITE)
    assert news["articleSection"] == ["Markets & Capital", "Policy"]
    assert news["keywords"] == ["Markets & Capital", "Policy"]
    assert news["mainEntityOfPage"] == f"{SITE}{article.get_absolute_url()}"
    crumbs = data["BreadcrumbList"]["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Vivold Insights", f"{SITE}/"),
        (2, "Markets & Capital", f"{SITE}/topics/markets/"),
        (3, article.title, f"{SITE}{article.get_absolute_url()}"),
    ]


def test_json_ld_cannot_break_out_of_its_script(client):
    article = ArticleFactory(
        title="</script><script>alert(1)</script>", key_insights="<!-- & --> </SCRIPT >", topics=[TopicFactory()]
    )
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    script = soup(response).find("script", type="application/ld+json")
    raw = script.string
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert json.loads(raw)[0]["headline"] == "</script><script>alert(1)</script>"


def test_open_graph_and_twitter_tags(client, published, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    article = published["older"]
    page = soup(client.get(article.get_absolute_url()))
    meta = {
        tag.get("property") or tag.get("name"): tag["content"] for tag in page.find_all("meta") if tag.get("content")
    }
    assert meta["og:type"] == "article"
    assert meta["og:title"] == article.title
    assert meta["og:url"] == f"{SITE}{article.get_absolute_url()}"
    assert meta["og:description"] == article.key_insights
    assert meta["twitter:card"] == "summary"  # no hero image
    assert page.find("link", rel="canonical")["href"] == f"{SITE}{article.get_absolute_url()}"
    assert meta["description"] == article.key_insights

    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    article.hero_image = SimpleUploadedFile("hero.gif", gif, content_type="image/gif")
    article.hero_image_alt = "A queue of transformers"
    article.save()
    page = soup(client.get(article.get_absolute_url()))
    meta = {
        tag.get("property") or tag.get("name"): tag["content"] for tag in page.find_all("meta") if tag.get("content")
    }
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:image"] == f"{SITE}{article.hero_image.url}" == meta["twitter:image"]
    assert meta["og:image:alt"] == "A queue of transformers"
    assert json_ld(page)["NewsArticle"]["image"] == [f"{SITE}{article.hero_image.url}"]


def test_long_articles_get_a_table_of_contents(client, published):
    page = soup(client.get(published["older"].get_absolute_url()))
    toc = page.find("nav", class_="toc")
    links = [(a["href"], a.get_text()) for a in toc.find_all("a")]
    assert links == [
        ("#section-where-the-money-goes", "Where the money goes"),
        ("#section-power-grids", "Power & grids"),
        ("#section-where-the-money-goes-2", "Where the money goes"),
        ("#section-what-to-watch", "What to watch"),
    ]
    body = page.find("article", class_="article-body")
    assert [h2["id"] for h2 in body.find_all("h2")] == [href[1:] for href, _ in links]
    ids = [tag["id"] for tag in page.find_all(id=True)]
    assert len(ids) == len(set(ids))


def test_short_articles_have_no_table_of_contents(client):
    article = ArticleFactory()
    page = soup(client.get(article.get_absolute_url()))
    assert page.find("nav", class_="toc") is None
    assert page.find("article").find("h2")["id"] == "section-context"


def test_outline_keeps_heading_markup_and_drops_foreign_ids():
    outline = body_outline('<h2 id="main" class="x">A <em>b</em></h2><p>text</p>')
    assert str(outline.html) == '<h2 id="section-a-b" class="x">A <em>b</em></h2><p>text</p>'
    assert outline.headings == (("section-a-b", "A b"),)
    assert body_outline("<h2></h2><h2> </h2>").headings == (("section-1", ""), ("section-2", ""))


def test_feeds_and_sitemap_query_counts_stay_flat(client, django_assert_max_num_queries):
    topic = TopicFactory()
    ArticleFactory.create_batch(12, topics=[topic])
    for url in ["/feed/", "/feed/rss/", f"/topics/{topic.slug}/feed/"]:
        with django_assert_max_num_queries(3):
            assert client.get(url).status_code == 200
    with django_assert_max_num_queries(4):  # a count and a list for each of the two sitemaps
        assert client.get("/sitemap.xml").status_code == 200


def test_canonical_link_keeps_only_the_page_number(client):
    ArticleFactory.create_batch(11)
    canonical = lambda url: soup(client.get(url)).find("link", rel="canonical")["href"]  # noqa: E731
    assert canonical("/?utm_source=x") == f"{SITE}/"
    assert canonical("/?page=1") == f"{SITE}/"
    assert canonical("/?page=2&utm_source=x") == f"{SITE}/?page=2"
    assert canonical("/?page=<script>") == canonical("/?page=²") == f"{SITE}/"

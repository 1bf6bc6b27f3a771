"""Every mail shares one layout (templates/email/base.html) in the site's fonts and colours."""

import re

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.utils import timezone

from articles.models import Topic
from digests.building import article_edition_create
from digests.models import Digest
from digests.rendering import digest_preview
from newsletter.emails import confirmation_message, welcome_message
from tests.articles.factories import ArticleFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

SITE_CSS = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()


def site_colour(name: str) -> str:
    return re.search(rf"--{name}: (#[0-9a-f]{{6}});", SITE_CSS).group(1)


@pytest.fixture
def every_mail():
    topic = Topic.objects.create(name="Markets", slug="markets")
    reader = SubscriberFactory(email="reader@example.com")
    pending = SubscriberFactory(email="new@example.com", status="pending")
    article = ArticleFactory(slug="alone", topics=[topic])
    digest = Digest.objects.create(
        cadence="weekly", period_start=timezone.now(), period_end=timezone.now(), subject="This week"
    )
    digest.articles.set([ArticleFactory(slug="in-digest", topics=[topic])])
    single, _ = article_edition_create(article=article)
    return {
        "confirmation": confirmation_message(subscriber=pending),
        "welcome": welcome_message(subscriber=reader),
        "digest": digest_preview(digest=digest, subscriber=reader),
        "single article": digest_preview(digest=single, subscriber=reader),
    }


def test_every_mail_is_the_same_layout_in_the_site_look(every_mail):
    accent, ink, tint = site_colour("accent"), site_colour("ink"), site_colour("tint")
    layouts = {}
    for name, message in every_mail.items():
        mime = message.message()
        assert mime.get_content_type() == "multipart/alternative", name
        assert [part.get_content_type() for part in mime.get_payload()] == ["text/plain", "text/html"], name
        html = message.alternatives[0][0]
        page = BeautifulSoup(html, "html.parser")
        assert page.find("style") is None, f"{name}: CSS must be inlined"
        body_style = page.body["style"]
        assert "system-ui" in body_style and "sans-serif" in body_style and "Georgia" not in html, name
        assert ink in body_style and tint in body_style, name
        sheet = page.find("table", class_="sheet")
        assert accent in sheet["style"] and "max-width: 600px" in sheet["style"], name
        brand = page.find("a", class_="brand")
        assert brand.get_text(" ", strip=True) == "Vivold Insights" and brand["href"] == f"{settings.SITE_URL}/", name
        assert page.find("td", class_="footer").find("a"), f"{name}: the footer carries the subscriber's links"
        # The same frame around each mail's own part: the masthead's ancestors, the footer, the colophon.
        colophon = page.find("p", class_="colophon")
        layouts[name] = (
            *((tag.name, tuple(tag.get("class", [])), tag.get("style")) for tag in [brand, *brand.parents]),
            page.find("td", class_="footer")["style"],
            (colophon.get_text(), colophon["style"]),
        )
        button = page.find("a", class_="button")
        if button is not None:
            assert accent in button["style"], name
    assert len(set(layouts.values())) == 1, layouts

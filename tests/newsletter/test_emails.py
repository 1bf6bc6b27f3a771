"""The mails themselves: parts, headers and links, as a mail client sees them."""

import re

import pytest
from bs4 import BeautifulSoup
from django.conf import settings

from newsletter.emails import confirmation_message, welcome_message
from newsletter.tokens import Purpose, read_token

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("build", "subject_word"), [(confirmation_message, "Confirm"), (welcome_message, "Welcome")])
def test_mail_parts_headers_and_links(build, subject_word):
    subscriber = SubscriberFactory(email="Mail.Reader@Example.com", active=build is welcome_message)
    message = build(subscriber=subscriber).message()
    assert message.get_content_type() == "multipart/alternative"
    assert subject_word in message["Subject"] and message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["To"] == "Mail.Reader@Example.com"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = re.fullmatch(r"\s*<([^>]+)>", message["List-Unsubscribe"])[1]
    assert header_url.startswith(settings.SITE_URL + "/newsletter/unsubscribe/")
    assert read_token(header_url.rstrip("/").rsplit("/", 1)[1], Purpose.UNSUBSCRIBE) == subscriber.pk
    text, html = (part.get_payload(decode=True).decode() for part in message.get_payload())
    assert header_url in text  # a visible unsubscribe link, in both parts
    page = BeautifulSoup(html, "html.parser")
    assert page.find("a", href=header_url)
    assert "<style" not in html and page.find("a", class_="button")["style"]  # CSS inlined
    assert "Mail.Reader" not in header_url.lower() and "example.com/" not in header_url.split("/newsletter/")[1]


def test_confirmation_carries_one_confirm_link_and_welcome_a_preferences_link():
    subscriber = SubscriberFactory()
    confirm = confirmation_message(subscriber=subscriber).body
    (link,) = re.findall(r"\S+/newsletter/confirm/(\S+)/", confirm)
    assert read_token(link, Purpose.CONFIRM) == subscriber.pk
    welcome = welcome_message(subscriber=subscriber).body
    (prefs,) = re.findall(r"\S+/newsletter/preferences/(\S+)/", welcome)
    assert read_token(prefs, Purpose.PREFERENCES) == subscriber.pk


def test_the_welcome_names_the_cadence_and_topics_chosen():
    from articles.models import Topic

    grids, chips, policy = (Topic.objects.create(name=n, slug=n.lower()) for n in ("Grids", "Chips", "Policy"))
    every_topic = welcome_message(subscriber=SubscriberFactory()).body
    assert "weekly digest brings each new piece of analysis with" in every_topic
    chosen = SubscriberFactory(cadence="daily", topics=[grids, chips, policy])
    message = welcome_message(subscriber=chosen)
    assert "daily digest brings each new piece of analysis on Chips, Grids and Policy with" in message.body
    assert "on Chips, Grids and Policy with" in message.alternatives[0][0]


def test_a_subject_never_breaks_a_header():
    from newsletter.emails import subscriber_message

    message = subscriber_message(
        subscriber=SubscriberFactory(),
        subject="Hello\r\nBcc: x@example.org",
        text="t",
        html="<p>h</p>",
        unsubscribe_url="https://example.com/u/",
    ).message()
    assert message["Subject"] == "Hello Bcc: x@example.org" and message["Bcc"] is None

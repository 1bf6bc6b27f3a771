"""The whole journey on real services: the web form on a live server, Redis, a Celery worker
process and an SMTP server on loopback."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from bs4 import BeautifulSoup

from newsletter.models import Subscriber
from newsletter.views import NEUTRAL_ANSWER
from tests.articles.factories import ArticleFactory, TopicFactory
from tests.integration import celery_worker, smtp_sink  # noqa: F401 - fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.slow]

ADDRESS = "Integration.Reader@Example.org"


class Browser:
    """Just enough of a browser: cookies, forms and the CSRF token, over real HTTP."""

    def __init__(self):
        # Like a browser, treat the loopback server as a secure context, so the
        # production-style Secure cookies are sent back over plain HTTP.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        self.cookies = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> tuple[int, str, str]:
        with self.opener.open(url, timeout=30) as response:
            return response.status, response.url, response.read().decode()

    def post(self, url: str, data: dict, referer: str) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": referer})
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.url, response.read().decode()


def form_data(html: str, selector: str) -> tuple[str, dict]:
    form = BeautifulSoup(html, "html.parser").select_one(selector)
    data = {}
    for field in form.find_all("input"):
        if field.get("type") == "radio" and not field.has_attr("checked"):
            continue
        data.setdefault(field["name"], []).append(field.get("value", ""))
    return form.get("action") or "", data


def text_part(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_signup_confirm_welcome_and_one_click_unsubscribe(live_server, celery_worker, smtp_sink):  # noqa: F811
    topic = TopicFactory(name="Energy", slug="energy")
    article = ArticleFactory(title="Grid storage grows up", topics=[topic])
    browser = Browser()
    article_url = live_server.url + article.get_absolute_url()

    # Sign up from the article's Stay Updated form, as a reader without JavaScript does.
    _, _, html = browser.get(article_url)
    action, data = form_data(html, "form.signup-form")
    data.update(email=[ADDRESS], topic_choice=["chosen"])
    status, landed, html = browser.post(live_server.url + action, data, referer=article_url)
    assert status == 200 and landed.endswith("/newsletter/subscribed/") and NEUTRAL_ANSWER in html

    # The worker records the subscriber and mails the confirmation over SMTP.
    confirmation = smtp_sink.wait_for(lambda m: "Confirm" in m["Subject"])
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING and list(subscriber.topics.all()) == [topic]
    assert confirmation["To"] == ADDRESS and confirmation.get_content_type() == "multipart/alternative"
    assert confirmation.get_body(("html",)).get_content().count("/newsletter/confirm/") == 1
    confirm_url = re.search(r"https?://\S+/newsletter/confirm/[^/\s]+/", text_part(confirmation)).group(0)
    assert confirm_url.startswith(live_server.url) and "Example" not in confirm_url

    # Following the link shows a button; pressing it confirms.
    _, _, html = browser.get(confirm_url)
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    _, data = form_data(html, "main form")
    status, _, html = browser.post(confirm_url, data, referer=confirm_url)
    assert status == 200 and "You're subscribed" in html.replace("&#x27;", "'")
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE

    welcome = smtp_sink.wait_for(lambda m: "Welcome" in m["Subject"])
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(welcome["List-Unsubscribe"]).strip()  # folding may leave a space after the colon
    match = re.fullmatch(r"<(https?://\S+/newsletter/unsubscribe/[^/\s]+/)>", header)
    assert match, header
    unsubscribe_url = match[1]
    assert unsubscribe_url in text_part(welcome)

    # RFC 8058: the mail client POSTs with no cookie and no CSRF token.
    request = urllib.request.Request(
        unsubscribe_url,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED

    # Two mails in all, both to the address as typed; the worker never logged it.
    assert [recipients for _, recipients in smtp_sink.envelopes] == [[ADDRESS], [ADDRESS]]
    assert "Integration.Reader" not in celery_worker.output and "integration.reader" not in celery_worker.output
    assert "succeeded" in celery_worker.output

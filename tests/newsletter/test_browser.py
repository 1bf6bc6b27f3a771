"""A reader subscribes from an article page in a real browser and is answered in place."""

import pytest
from django.core import mail

from newsletter.models import Subscriber
from newsletter.views import NEUTRAL_ANSWER
from tests.articles.factories import ArticleFactory, TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_subscribing_from_an_article_answers_inline_without_a_page_load(live_server, page):
    topic = TopicFactory(name="Semiconductors", slug="semiconductors")
    article = ArticleFactory(title="Chips and the new export rules", topics=[topic])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    missing: list[str] = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    page.on("console", lambda message: "Content Security Policy" in message.text and errors.append(message.text))

    def with_strict_csp(route):
        # The policy production will send: no inline script may run, and none is needed.
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": "default-src 'self'; script-src 'self'"}
        route.fulfill(response=response, headers=headers)

    page.route(live_server.url + article.get_absolute_url(), with_strict_csp)
    page.goto(live_server.url + article.get_absolute_url())
    form = page.locator("section.stay-updated form")
    # Mark this page: a navigation would lose the mark.
    page.evaluate("window.__stillHere = true")
    form.get_by_label("Email").fill("browser.reader@example.com")
    form.get_by_label("Only Semiconductors").check()
    with page.expect_response(lambda response: response.url.endswith("/newsletter/subscribe/")) as answer:
        form.get_by_role("button", name="Subscribe").click()
    assert answer.value.status == 200 and answer.value.headers["content-type"] == "application/json"
    status = form.locator(".signup-status")
    status.filter(has_text="confirmation link").wait_for()
    assert status.inner_text() == NEUTRAL_ANSWER
    assert page.evaluate("window.__stillHere") is True
    assert page.url == live_server.url + article.get_absolute_url()
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "browser.reader@example.com"
    assert list(subscriber.topics.values_list("slug", flat=True)) == ["semiconductors"]
    assert subscriber.consent_source == article.get_absolute_url()
    assert len(mail.outbox) == 1 and "Confirm" in mail.outbox[0].subject
    assert form.get_by_label("Email").input_value() == ""

    # A mistyped address is answered in place too, with the reason.
    form.get_by_label("Email").fill("no-at-sign")
    form.evaluate("f => f.noValidate = true")  # past the browser's own check, to see ours
    form.get_by_role("button", name="Subscribe").click()
    status.filter(has_text="needs an @").wait_for()
    assert form.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert page.evaluate("window.__stillHere") is True
    assert errors == []
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []


def test_without_javascript_the_form_posts_and_lands_on_the_answer(live_server, browser):
    article = ArticleFactory(title="Ports and the price of delay")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + article.get_absolute_url())
        form = page.locator("section.stay-updated form")
        form.get_by_label("Email").fill("no.script@example.com")
        with page.expect_navigation():
            form.get_by_role("button", name="Subscribe").click()
        assert page.url == live_server.url + "/newsletter/subscribed/"
        assert NEUTRAL_ANSWER in page.locator("main").inner_text()
    finally:
        context.close()
    assert Subscriber.objects.get().email == "no.script@example.com"


def test_too_many_tries_are_answered_inline(live_server, page, settings):
    settings.RATE_LIMITS = {"subscribe-ip": (1, 3600)}
    page.goto(live_server.url + "/newsletter/")
    form = page.locator("section.stay-updated form")
    status = form.locator(".signup-status")
    form.get_by_label("Email").fill("first@example.com")
    form.get_by_role("button", name="Subscribe").click()
    status.filter(has_text="confirmation link").wait_for()
    form.get_by_label("Email").fill("second@example.com")
    form.get_by_role("button", name="Subscribe").click()
    status.filter(has_text="Too many attempts").wait_for()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["first@example.com"]

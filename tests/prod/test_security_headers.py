"""Security headers on every kind of response, and a CSP that every page keeps:
no inline script, no event-handler attributes, the admin editor's import map
allowed by the request's nonce alone."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from articles.models import Article
from newsletter.models import Subscriber
from newsletter.tokens import Purpose, make_token
from tests.articles.factories import ArticleFactory, TopicFactory

from .csp import inline_script_problems, policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    topic = TopicFactory(name="Markets", slug="markets")
    article = ArticleFactory(title="Rates and the long view", topics=[topic])
    ArticleFactory(title="A second look", topics=[topic])
    subscriber = Subscriber.objects.create(email="reader@example.org", status=Subscriber.Status.ACTIVE)
    return {"article": article, "topic": topic, "subscriber": subscriber}


def public_urls(site) -> list[str]:
    subscriber = site["subscriber"]
    return [
        reverse("articles:home"),
        site["article"].get_absolute_url(),
        site["topic"].get_absolute_url(),
        reverse("newsletter:signup"),
        reverse("newsletter:confirm", args=[make_token(subscriber, Purpose.CONFIRM)]),
        reverse("newsletter:unsubscribe", args=[make_token(subscriber, Purpose.UNSUBSCRIBE)]),
        reverse("newsletter:preferences", args=[make_token(subscriber, Purpose.PREFERENCES)]),
        reverse("newsletter:confirm", args=["not-a-token"]),
        reverse("digests:list"),
        "/no-such-page/",
    ]


def assert_security_headers(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives.get("style-src", [])
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) >= 8


def test_public_pages_and_404_carry_the_headers_and_no_inline_script(client, site):
    seen = set()
    for url in public_urls(site):
        response = client.get(url)
        seen.add(response.status_code)
        assert response.status_code in (200, 400, 404), url
        assert_security_headers(response)
        assert inline_script_problems(response.content.decode()) == [], url
    assert 404 in seen and 200 in seen


def test_the_scan_finds_inline_script_when_there_is_some():
    # The scan above means something only if it can fail.
    html = '<p onclick="x()">a</p><script>alert(1)</script><a href="javascript:x()">b</a><script src="/s.js"></script>'
    assert len(inline_script_problems(html)) == 3


def test_hsts_on_secure_requests(client, site):
    response = client.get(reverse("articles:home"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.urls("tests.prod.urls")
def test_server_error_page_carries_the_headers():
    client = Client(raise_request_exception=False)
    response = client.get("/test-broken/")
    assert response.status_code == 500
    assert_security_headers(response)
    assert inline_script_problems(response.content.decode()) == []


def test_admin_pages_carry_the_headers_and_no_inline_script(client, admin_client, site):
    login = client.get(reverse("admin:login"))
    assert login.status_code == 200
    assert_security_headers(login)
    assert inline_script_problems(login.content.decode()) == []
    for url in [
        reverse("admin:index"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_topic_add"),
        reverse("admin:newsletter_subscriber_changelist"),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
        assert inline_script_problems(response.content.decode()) == [], url


@pytest.mark.parametrize("page", ["add", "change"])
def test_the_article_editor_import_map_is_allowed_by_this_requests_nonce_only(admin_client, site, page):
    article: Article = site["article"]
    url = (
        reverse("admin:articles_article_add")
        if page == "add"
        else reverse("admin:articles_article_change", args=[article.pk])
    )
    response = admin_client.get(url)
    assert response.status_code == 200
    assert_security_headers(response)
    html = BeautifulSoup(response.content.decode(), "html.parser")
    importmaps = html.find_all("script", type="importmap")
    assert len(importmaps) == 1
    nonce = importmaps[0].get("nonce")
    assert nonce and len(nonce) >= 16
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]
    assert "django-prose-editor/editor" in importmaps[0].string
    # The editor's own fixed <style> is allowed by its hash, found in the installed editor.js.
    assert [v for v in policy(response)["style-src"] if v.startswith("'sha256-")]
    # Apart from the import map, every script is a file.
    importmaps[0].decompose()
    assert inline_script_problems(str(html)) == []
    # A nonce is good for one response only.
    again = admin_client.get(url)
    assert f"'nonce-{nonce}'" not in again["Content-Security-Policy"]


def test_session_and_csrf_cookies_are_secure_and_http_only(client):
    User.objects.create_superuser("editor", "editor@example.org", "a long and careful passphrase")
    page = client.get(reverse("admin:login"))
    assert page.cookies["csrftoken"]["secure"] and page.cookies["csrftoken"]["httponly"]
    response = client.post(reverse("admin:login"), {"username": "editor", "password": "a long and careful passphrase"})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"


def test_ssl_redirect_leaves_the_health_check_alone(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("articles:home")).status_code == 301
    assert client.get(reverse("healthz")).status_code == 200


def test_behind_a_proxy_the_forwarded_scheme_counts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get(reverse("articles:home"), headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_a_failed_csrf_check_gets_a_plain_page_with_the_headers():
    client = Client(enforce_csrf_checks=True)
    # The confirmation form keeps Django's CSRF check (the signup form needs none).
    response = client.post(reverse("newsletter:confirm", kwargs={"token": "any"}))
    assert response.status_code == 403
    assert_security_headers(response)
    html = response.content.decode()
    assert "This form could not be accepted" in html
    assert inline_script_problems(html) == [] and "<style" not in html


def test_the_site_wide_policy_follows_its_settings(client, settings, site):
    """Pages share one policy built once per process, rebuilt when the setting changes."""
    first = client.get(reverse("articles:home"))["Content-Security-Policy"]
    assert first == client.get(reverse("digests:list"))["Content-Security-Policy"]
    assert "report-uri" not in first
    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "report-uri": "/csp-reports/"}
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": directives}
    assert "report-uri /csp-reports/" in client.get(reverse("digests:list"))["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get(reverse("digests:list"))["Content-Security-Policy-Report-Only"] == "default-src 'none'"

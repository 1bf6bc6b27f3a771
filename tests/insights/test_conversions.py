"""A subscription records the article and site it came from; confirming counts it for that article, once."""

import pytest
from django.utils import timezone

from insights.models import ArticleDay, SignupOrigin
from insights.reports import report_rows
from newsletter.models import Subscriber
from newsletter.tokens import Purpose, make_token
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _subscribe(client, email: str, source: str, **extra):
    return client.post(
        "/newsletter/subscribe/", {"email": email, "source": source, **extra}, **extra.pop("headers", {})
    )


def _confirm(client) -> None:
    token = make_token(Subscriber.objects.get(), Purpose.CONFIRM)
    assert client.post(f"/newsletter/confirm/{token}/").status_code == 200


def test_a_signup_from_an_article_counts_for_it_when_confirmed(client):
    article = ArticleFactory(slug="chips")
    assert (
        _subscribe(client, "ann@example.com", article.get_absolute_url(), referrer_site="linkedin.com").status_code
        == 302
    )
    origin = SignupOrigin.objects.get()
    assert (origin.article, origin.referrer, origin.counted_on) == (article, "linkedin.com", None)
    assert not ArticleDay.objects.exists()  # pending: not a subscriber yet

    _confirm(client)
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
    assert ArticleDay.objects.get(article=article, day=timezone.localdate()).signups == 1
    assert SignupOrigin.objects.get().counted_on == timezone.localdate()
    assert report_rows(days=1) == [{"slug": "chips", "views": 0, "visitors": 0, "signups": 1, "digest_clicks": 0}]

    _confirm(client)  # the same link again, or a later re-confirmation: still one signup
    assert ArticleDay.objects.get(article=article).signups == 1


def test_asking_again_does_not_change_where_a_subscription_came_from(client):
    first, second = ArticleFactory(), ArticleFactory()
    _subscribe(client, "bob@example.com", first.get_absolute_url())
    _subscribe(client, "Bob@Example.com", second.get_absolute_url())
    assert SignupOrigin.objects.get().article == first


@pytest.mark.parametrize(
    ("source", "referrer_site"),
    [("/", ""), ("/newsletter/", ""), ("/articles/no-such-piece/", ""), ("https://evil.example/articles/x/", "")],
)
def test_signups_not_from_an_article_record_nothing(client, source, referrer_site):
    _subscribe(client, "cat@example.com", source, referrer_site=referrer_site)
    assert Subscriber.objects.count() == 1
    assert not SignupOrigin.objects.exists()


@pytest.mark.parametrize("referrer_site", ["https://x.example/path", "a b", "x" * 300, "<script>"])
def test_an_unreadable_referring_site_is_dropped(client, referrer_site):
    article = ArticleFactory()
    _subscribe(client, "dan@example.com", article.get_absolute_url(), referrer_site=referrer_site)
    assert SignupOrigin.objects.get().referrer == ""


def test_global_privacy_control_keeps_the_origin_out(client):
    article = ArticleFactory()
    client.post(
        "/newsletter/subscribe/",
        {"email": "eve@example.com", "source": article.get_absolute_url(), "referrer_site": "linkedin.com"},
        HTTP_SEC_GPC="1",
    )
    assert Subscriber.objects.count() == 1
    assert not SignupOrigin.objects.exists()

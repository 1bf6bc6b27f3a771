"""The newsroom dashboard, the admin's front page: its figures are the database's."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from articles.models import Article
from core import dashboard
from core.dashboard import newsroom_dashboard
from digests.building import digest_build
from digests.models import Digest
from newsletter.models import Subscriber
from tests.articles.factories import ArticleFactory
from tests.html import soup
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)  # a Wednesday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12 if day < 20 else 11, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def newsroom():
    with time_machine.travel(NOW, tick=False):
        Digest.objects.create(
            cadence="weekly", period_start=at(23, 7), period_end=at(30, 7), subject="Last week", status="sent"
        )
        old = ArticleFactory(title="Before the last weekly", published_at=at(29, 12))
        tuesday = ArticleFactory(title="Tuesday piece", published_at=at(1, 9))
        today = ArticleFactory(title="This morning", published_at=at(2, 8))
        friday = ArticleFactory(title="Friday piece", published_at=at(4, 12))
        later = ArticleFactory(title="Next month", published_at=at(15, 9))
        drafts = [ArticleFactory(title=f"Draft {n}", status=Article.Status.DRAFT, published_at=None) for n in range(3)]
        SubscriberFactory(active=True, confirmed_at=at(30, 1))  # Monday, this week
        SubscriberFactory(active=True, confirmed_at=at(2, 9), cadence=Subscriber.Cadence.DAILY)
        SubscriberFactory(active=True, confirmed_at=at(29, 23))  # Sunday: last week
        SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED, confirmed_at=at(1, 8), unsubscribed_at=at(1, 9))
        SubscriberFactory()  # pending
        yield {"old": old, "tuesday": tuesday, "today": today, "friday": friday, "later": later, "drafts": drafts}


def test_figures_match_the_database(newsroom):
    with time_machine.travel(NOW, tick=False):
        board = newsroom_dashboard()
    assert board.drafts_count == Article.objects.drafts().count() == 3
    assert [a.title for a in board.scheduled] == ["Friday piece", "Next month"]
    assert board.published_count == 3 and board.published[0].title == "This morning"
    assert board.week_start == datetime(2026, 11, 30, tzinfo=LONDON)
    assert (board.subscribers_gained, board.subscribers_lost, board.subscribers_active) == (2, 1, 3)

    weekly, daily = ({d.cadence: d for d in board.digests}[c] for c in ("weekly", "daily"))
    assert weekly.sends_at == datetime(2026, 12, 7, 7, tzinfo=LONDON)
    assert [a.title for a in weekly.articles] == ["Friday piece", "This morning", "Tuesday piece"]
    assert weekly.recipients == 2
    assert daily.sends_at == datetime(2026, 12, 3, 7, tzinfo=LONDON)
    assert [a.title for a in daily.articles] == ["This morning"]
    assert daily.recipients == 1


@pytest.mark.parametrize("cadence", ["weekly", "daily"])
def test_the_next_digest_holds_what_the_digest_builder_will_put_in_it(newsroom, cadence):
    with time_machine.travel(NOW, tick=False):
        promised = next(d for d in newsroom_dashboard().digests if d.cadence == cadence)
    with time_machine.travel(promised.sends_at + timedelta(seconds=30), tick=False):
        built = digest_build(cadence=cadence)
    assert {a.pk for a in built.articles.all()} == {a.pk for a in promised.articles}
    assert built.period_end == promised.sends_at and built.period_start == promised.period_start


def test_admin_front_page_is_the_dashboard(admin_client, newsroom):
    with time_machine.travel(NOW, tick=False):
        page = soup(admin_client.get(reverse("admin:index")))
    figures = {tag["data-figure"]: tag.get_text(strip=True) for tag in page.select("[data-figure]")}
    assert figures["drafts"] == "3" and figures["scheduled"] == "2" and figures["published"] == "3"
    assert figures["subscribers-gained"] == "2" and figures["subscribers-lost"] == "1"
    assert figures["digest-weekly-articles"] == "3" and figures["digest-daily-articles"] == "1"
    assert figures["digest-weekly-time"] == "Monday 7 December, 07:00"
    scheduled = page.find(id="newsroom-scheduled").find_parent("section").get_text(" ", strip=True)
    assert "Friday piece Fri 4 Dec, 12:00" in scheduled
    weekly = page.select_one(".digest-weekly-articles").get_text(" ", strip=True)
    assert "Tuesday piece" in weekly and "Before the last weekly" not in weekly
    assert page.find(id="app-list") or page.find("div", class_="app-articles")  # the model list stays


def test_dashboard_is_for_staff(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_published_list_links_to_every_published_article_past_its_length(admin_client):
    for n in range(dashboard.LISTED + 1):
        ArticleFactory(title=f"Piece {n}")
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert f"{reverse('admin:articles_article_changelist')}?status__exact=published" in page

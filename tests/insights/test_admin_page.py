"""The Insights page in the admin: charts with tables beside them, and each table as CSV."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.articles.factories import ArticleFactory

from .conftest import PHONE_UA, beacon

pytestmark = pytest.mark.django_db
PAGE = "/admin/insights/articleday/"


@pytest.fixture
def traffic(client, counting_mode):
    chips = ArticleFactory(slug="chips", title="Chips and the new export rules")
    ports = ArticleFactory(slug="ports", title="=Ports and the price of delay")
    for n in range(3):
        beacon(client, chips.get_absolute_url(), ip=f"198.51.100.{n}", referrer="https://www.linkedin.com")
    beacon(client, ports.get_absolute_url() + "?utm_source=digest&utm_medium=email", user_agent=PHONE_UA)
    return chips, ports


def _csv(admin_client, table: str) -> list[list[str]]:
    response = admin_client.get(PAGE, {"csv": table})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="vivold-insights-{table}.csv"' in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_page_shows_each_chart_with_its_table(admin_client, traffic):
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for heading in [
        "Views and visitors per day",
        "Top articles, last 7 days",
        "Top articles, last 30 days",
        "Where readers come from, last 30 days",
        "Subscribers gained per article, last 30 days",
        "Digest click-through, last 30 days",
    ]:
        assert heading in html
    main = html.split('id="content-main"')[1]
    assert main.count('<svg class="insights-chart"') == 8 and main.count("<table") == 8
    assert "<script" not in main  # drawn on the server: no chart script
    assert "linkedin.com" in html and "digest / email" in html and "mobile" in html
    assert admin_client.get(PAGE, {"by": "week", "days": "7"}).status_code == 200


def test_the_csv_holds_the_tables_numbers(admin_client, traffic):
    assert _csv(admin_client, "top7") == [
        ["Article", "Views", "Visitors", "Signups"],
        ["Chips and the new export rules", "3", "3", "0"],
        ["'=Ports and the price of delay", "1", "1", "0"],  # no formula in a spreadsheet
    ]
    assert _csv(admin_client, "referrers") == [
        ["Referring site", "Views"],
        ["linkedin.com", "3"],
        ["Direct, or not said", "1"],
    ]
    views = _csv(admin_client, "views")
    assert views[0] == ["Day", "Views", "Visitors"] and len(views) == 31
    assert views[-1][1:] == ["4", "4"]


@pytest.mark.parametrize("query", [{"by": "month"}, {"days": "365"}, {"csv": "nothing"}])
def test_bad_parameters_get_a_400(admin_client, query):
    assert admin_client.get(PAGE, query).status_code == 400


def test_readers_cannot_see_it(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_index_links_the_page(admin_client):
    assert PAGE in admin_client.get("/admin/").content.decode()


def test_insights_report_prints_one_object_per_article(traffic):
    out = io.StringIO()
    call_command("insights_report", "--days", "7", "--json", stdout=out)
    assert json.loads(out.getvalue()) == [
        {"slug": "chips", "views": 3, "visitors": 3, "signups": 0, "digest_clicks": 0},
        {"slug": "ports", "views": 1, "visitors": 1, "signups": 0, "digest_clicks": 0},
    ]
    out = io.StringIO()
    call_command("insights_report", "--days", "7", stdout=out)
    assert out.getvalue().splitlines()[1].split() == ["chips", "3", "3", "0", "0"]


def test_insights_report_refuses_a_bad_number_of_days():
    with pytest.raises(CommandError, match="between 1 and 3660"):
        call_command("insights_report", "--days", "0", "--json")

"""The editors' subscriber pages: list, counts, chart, CSV export and import."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from newsletter import chart, subscriber_csv
from newsletter.models import Subscriber
from tests.articles.factories import TopicFactory
from tests.html import soup

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:newsletter_subscriber_changelist")
EXPORT = reverse("admin:newsletter_subscriber_export")
IMPORT = reverse("admin:newsletter_subscriber_import")


@pytest.fixture
def editor(client):
    user = User.objects.create(username="editor", is_staff=True, is_superuser=True)  # no slow password hashing
    client.force_login(user)
    return client


def export(client, query: str = "") -> str:
    response = client.get(EXPORT + query)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode("utf-8")


def upload(client, text: str, name: str = "subscribers.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")})


def state() -> list[tuple]:
    """Everything a subscriber is, by address."""
    fields = [f.attname for f in Subscriber._meta.concrete_fields if f.attname not in ("id",)]
    return sorted(
        tuple(getattr(s, name) for name in fields) + (tuple(sorted(s.topics.values_list("slug", flat=True))),)
        for s in Subscriber.objects.all()
    )


@pytest.fixture
def varied():
    """Subscribers in every status, with awkward addresses and sources."""
    markets, policy = TopicFactory(slug="markets"), TopicFactory(slug="policy")
    moment = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    with time_machine.travel(moment - timedelta(days=30), tick=False):
        SubscriberFactory(email="Plain@Example.com", topics=[markets, policy], consent_ip="2001:db8::1")
        SubscriberFactory(
            email="=1+2@example.com", status="active", confirmed_at=moment, cadence="daily", topics=[policy]
        )
        SubscriberFactory(
            email="-minus@example.com",
            status="unsubscribed",
            unsubscribed_at=moment,
            consent_source='/articles/a,b "quoted"\nline/',
        )
        SubscriberFactory(
            email="'apostrophe@example.com",
            status="suppressed",
            suppressed_at=moment,
            hard_bounces=3,
            consent_ip=None,
            consent_at=None,
            consent_source="",
        )
        SubscriberFactory(email="+plus@xn--bcher-kva.de", confirmation_sent_at=moment)
        SubscriberFactory(email="leser@bücher.at", consent_source="=cmd|' /C calc'!A0")
        SubscriberFactory(email="tab@example.com", consent_source='\t leading tab\r\nand CRLF, "quotes" ünïcödé ')
        SubscriberFactory(email="apo2@example.com", consent_source="'already quoted")


def test_changelist_shows_counts_chart_and_links(editor, varied):
    page = soup(editor.get(CHANGELIST))
    counts = page.find("table", class_="subscriber-counts")
    headings = [th.get_text() for th in counts.find_all("th")]
    cells = [td.get_text() for td in counts.find_all("td")]
    assert dict(zip(headings, cells, strict=True)) == {
        "Pending confirmation": "5",
        "Active": "1",
        "Unsubscribed": "1",
        "Suppressed (bounces or complaints)": "1",
        "All": "8",
    }
    svg = page.find("svg", class_="subscriber-chart")
    assert svg is not None and svg.find("title").get_text() and len(svg.find_all("polyline")) == 4
    assert not page.find_all("script", string=re.compile(r"\S"))  # the chart needs no script
    assert page.find("a", href=EXPORT + "?") or page.find("a", href=re.compile("^" + EXPORT))
    assert page.find("a", href=IMPORT)


def test_changelist_filters_and_searches(editor, varied):
    found = soup(editor.get(CHANGELIST + "?q=PLAIN@example"))
    assert "Plain@Example.com" in found.get_text() and "-minus@" not in found.get_text()
    active = soup(editor.get(CHANGELIST + "?status__exact=active")).find(id="result_list").get_text()
    assert "=1+2@example.com" in active and "Plain@" not in active
    assert editor.get(CHANGELIST + "?q=%00").status_code == 400


def test_csv_round_trip_is_lossless(editor, varied):
    before = state()
    text = export(editor)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == subscriber_csv.COLUMNS and len(rows) == 9
    # Nothing a spreadsheet would run as a formula.
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    Subscriber.objects.all().delete()
    response = upload(editor, text)
    assert response.status_code == 200, response.content.decode()[:2000]
    result = soup(response).find(id="content-main").get_text(" ", strip=True)
    assert "8 added, 0 updated, 0 rows left out" in result, result
    assert state() == before
    # Importing the same file again changes nothing.
    upload(editor, text)
    assert state() == before
    assert export(editor) == text
    assert mail.outbox == []  # an import sends no mail


def test_export_follows_the_changelist_filters(editor, varied):
    text = export(editor, "?status__exact=pending")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 6 and {row[1] for row in rows[1:]} == {"pending"}


def test_export_action_on_selected(editor, varied):
    chosen = Subscriber.objects.filter(status="active").values_list("pk", flat=True)
    response = editor.post(CHANGELIST, {"action": "export_selected", "_selected_action": list(chosen)})
    body = b"".join(response.streaming_content).decode()
    assert len(body.strip().splitlines()) == 2 and "'=1+2@example.com" in body


def test_import_reports_bad_rows_by_line_and_imports_each_row_whole_or_not(editor):
    TopicFactory(slug="markets")
    existing = SubscriberFactory(email="kept@example.com", cadence="daily")
    text = "\n".join(
        [
            "email,status,cadence,topics,created_at,consent_ip,hard_bounces",
            "good@example.com,active,weekly,markets,2025-01-02T03:04:05+00:00,192.0.2.1,0",  # line 2
            "not-an-address,active,weekly,,,,0",  # line 3
            "kept@example.com,active,weekly,no-such-topic,,,0",  # line 4: half valid, so left whole
            "bad-status@example.com,maybe,weekly,,,,0",  # line 5
            '"multi-line@example.com",pending,weekly,,"2025-01-02\nyesterday",,0',  # lines 6-7: bad date
            "bad-ip@example.com,pending,weekly,,,999.1.1.1,0",  # line 8
            "",  # line 9 blank
            "GOOD@example.com,pending,daily,,,,0",  # line 10: duplicate of line 2
            "short@example.com,pending",  # line 11
            "bounces@example.com,pending,weekly,,,," + "9" * 5000,  # line 12
            "also-good@example.com,,,,,,",  # line 13: defaults
        ]
    )
    response = upload(editor, text)
    assert response.status_code == 200
    errors = [li.get_text() for li in soup(response).select(".import-errors li")]
    assert [e.split(":")[0] for e in errors] == [
        "Line 3",
        "Line 4",
        "Line 5",
        "Line 6",
        "Line 8",
        "Line 10",
        "Line 11",
        "Line 12",
    ]
    assert "no-such-topic" in errors[1] and "maybe" in errors[2] and "line 2" in errors[5]
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "good@example.com",
        "kept@example.com",
        "also-good@example.com",
    }
    existing.refresh_from_db()
    assert existing.status == "pending" and existing.cadence == "daily"  # line 4 changed nothing
    good = Subscriber.objects.get(email="good@example.com")
    assert good.created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert list(good.topics.values_list("slug", flat=True)) == ["markets"]
    also = Subscriber.objects.get(email="also-good@example.com")
    assert (also.status, also.cadence, also.hard_bounces) == ("pending", "weekly", 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "email"),
        (b"name,address\nx,y\n", "email"),
        (b"email,colour\na@example.com,red\n", "colour"),
        (b"email,email\na@example.com,b@example.com\n", "repeated"),
        ("email\nbj\xf6rn@example.com\n".encode("latin-1"), "UTF-8"),
        (b"email\na@example.com\x00\n", "NUL"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
    ],
)
def test_import_refuses_an_unreadable_file_whole(editor, content, message):
    SubscriberFactory(email="stays@example.com")
    response = editor.post(IMPORT, {"file": SimpleUploadedFile("x.csv", content, "text/csv")})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["stays@example.com"]


def test_import_reports_a_broken_quote_by_line(editor):
    response = upload(editor, 'email,status\nok@example.com,pending\n"broken@example.com,pend"ing\n')
    assert "Line 3" in response.content.decode()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["ok@example.com"]


def test_import_needs_permission(client):
    user = User.objects.create(username="viewer", is_staff=True)
    client.force_login(user)
    assert client.get(IMPORT).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_admin_add_form_refuses_an_address_in_another_case(editor):
    SubscriberFactory(email="ann@example.com")
    response = editor.post(
        reverse("admin:newsletter_subscriber_add"), {"email": "ANN@example.com", "cadence": "weekly"}
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert Subscriber.objects.count() == 1


def test_a_subscriber_added_by_an_editor_is_pending_and_asked_to_confirm(editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            reverse("admin:newsletter_subscriber_add"),
            {"email": "added@example.com", "cadence": "daily", "status": "active"},
        )
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "pending" and subscriber.cadence == "daily"
    assert [m.subject.split()[0] for m in mail.outbox] == ["Confirm"]


def test_admin_change_form_keeps_status_and_address(editor):
    subscriber = SubscriberFactory(email="fixed@example.com")
    url = reverse("admin:newsletter_subscriber_change", args=[subscriber.pk])
    assert editor.get(url).status_code == 200
    response = editor.post(url, {"email": "other@example.com", "status": "active", "cadence": "daily"})
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.email, subscriber.status, subscriber.cadence) == ("fixed@example.com", "pending", "daily")


def test_status_actions_go_through_the_services(editor):
    subscriber = SubscriberFactory(active=True)
    editor.post(CHANGELIST, {"action": "suppress_selected", "_selected_action": [subscriber.pk]})
    subscriber.refresh_from_db()
    assert subscriber.status == "suppressed" and subscriber.suppressed_at is not None


def test_activity_counts_weeks_and_active_subscribers():
    now = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)  # a Wednesday
    with time_machine.travel(now - timedelta(weeks=3), tick=False):
        confirmed_then_left = SubscriberFactory(
            status="unsubscribed", confirmed_at=now - timedelta(weeks=3), unsubscribed_at=now - timedelta(weeks=1)
        )
        SubscriberFactory(status="active", confirmed_at=now - timedelta(weeks=2, days=-1))
    with time_machine.travel(now - timedelta(days=1), tick=False):
        SubscriberFactory()  # pending, signed up yesterday
    with time_machine.travel(now - timedelta(weeks=60), tick=False):
        SubscriberFactory(status="active", confirmed_at=now - timedelta(weeks=60))  # before the window
    weeks = chart.subscriber_activity(now=now)
    assert len(weeks) == 52 and weeks[-1].start == datetime(2026, 6, 15).date()
    assert [w.signups for w in weeks[-4:]] == [2, 0, 0, 1]
    assert [w.confirmations for w in weeks[-4:]] == [1, 1, 0, 0]
    assert [w.unsubscribes for w in weeks[-4:]] == [0, 0, 1, 0]
    assert [w.active for w in weeks[-4:]] == [2, 3, 2, 2]
    assert weeks[0].active == 1
    assert confirmed_then_left.pk
    svg = str(chart.render_svg(weeks))
    assert svg.startswith("<svg") and svg.count("<polyline") == 4 and "<script" not in svg


def test_chart_escapes_nothing_from_users_and_draws_an_empty_year():
    svg = str(chart.render_svg(chart.subscriber_activity()))
    assert "0 signups in 52 weeks" in svg


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_import_reads_a_file_saved_by_a_spreadsheet_in_another_locale(editor, varied, delimiter):
    before = state()
    rows = list(csv.reader(io.StringIO(export(editor).lstrip("\ufeff"))))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    Subscriber.objects.all().delete()
    response = upload(editor, out.getvalue())
    assert "0 rows left out" in soup(response).find(id="content-main").get_text()
    assert state() == before


@pytest.mark.parametrize("method", ["head", "get"])
def test_link_pages_answer_head_and_get_without_acting(client, method):
    from newsletter.tokens import Purpose, make_token

    subscriber = SubscriberFactory()
    for name, purpose in [
        ("confirm", Purpose.CONFIRM),
        ("unsubscribe", Purpose.UNSUBSCRIBE),
        ("preferences", Purpose.PREFERENCES),
    ]:
        response = getattr(client, method)(
            reverse(f"newsletter:{name}", kwargs={"token": make_token(subscriber, purpose)})
        )
        assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"


@pytest.mark.parametrize(
    "query",
    [
        "?created_at__gte=not-a-date",
        "?status__exact=%00",
        "?q=a%00b",
        "?%00=1",
        "?nonsense=1",
        "?topics__id__exact=abc",
        "?topics__id__exact=99999999999999999999999",
        "?topics__id__exact=" + "9" * 5000,
        "?created_at__day=" + "9" * 5000,
        "?o=99",
        "?q=" + "x" * 5000,
    ],
)
def test_bad_filters_never_break_the_list_or_the_export(editor, varied, query):
    assert editor.get(CHANGELIST + query).status_code in (200, 302, 400)
    response = editor.get(EXPORT + query)
    assert response.status_code in (200, 400)


def test_import_refuses_more_rows_than_it_can_take_in_one_request(editor, settings):
    settings.NEWSLETTER_IMPORT_MAX_ROWS = 3
    text = "email\n" + "\n".join(f"r{i}@example.com" for i in range(4))
    response = upload(editor, text)
    assert response.status_code == 400 and "split it" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_the_change_page_lists_the_subscribers_mails_from_the_ledger(editor, django_capture_on_commit_callbacks):
    from newsletter.services import subscriber_confirm

    subscriber = SubscriberFactory(email="ledger@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        editor.post("/newsletter/subscribe/", {"email": "other@example.com"})
        subscriber_confirm(subscriber=subscriber)
    page = soup(editor.get(reverse("admin:newsletter_subscriber_change", args=[subscriber.pk])))
    rows = [" ".join(row.get_text(" ").split()) for row in page.select(".field-mails li")]
    assert len(rows) == 1 and rows[0].startswith("Welcome · Sent · asked")

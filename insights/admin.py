"""The admin's Insights page: every chart with its table beside it, and each table as CSV."""

import csv
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import SafeString

from . import charts, reports
from .models import ArticleDay, SourceDay

RANGES = {"7": 7, "30": 30, "90": 90}
SERIES = {"day": 30, "week": 7 * 12}  # the last 30 days, or the last 12 weeks


@dataclass
class Section:
    key: str
    heading: str
    note: str
    columns: list[str]
    rows: list[tuple]
    chart: SafeString

    @property
    def cells(self) -> list[list[tuple[object, bool]]]:
        """Each row's values with whether each is a number (numbers are right-aligned)."""
        return [[(value, value is None or isinstance(value, int | float)) for value in row] for row in self.rows]


# Where views come from: the kind, the section's key, heading and note, its first column, and what the chart counts by.
SOURCE_SECTIONS = (
    (
        SourceDay.Kind.REFERRER,
        "referrers",
        "Where readers come from",
        "The referring site's domain only; browsers that hide it count as direct.",
        "Referring site",
        "referring site",
    ),
    (
        SourceDay.Kind.CAMPAIGN,
        "campaigns",
        "Campaigns",
        "From utm_source / utm_medium in the address; digest links carry digest / email.",
        "Campaign (source / medium)",
        "campaign",
    ),
    (
        SourceDay.Kind.DEVICE,
        "devices",
        "Devices",
        "A coarse class read from the browser's user agent, which is not kept.",
        "Device class",
        "device class",
    ),
)


def _top_articles_section(*, last: int, top: list[reports.ArticleTotals]) -> Section:
    return Section(
        f"top{last}",
        f"Top articles, last {last} days",
        "",
        ["Article", "Views", "Visitors", "Signups"],
        [(a.title, a.views, a.visitors, a.signups) for a in top],
        charts.bar_chart([(a.title, a.views) for a in top], title=f"Views of the top articles, last {last} days"),
    )


def _views_by_source_section(
    key: str, heading: str, note: str, column: str, rows: list[tuple[str, int]], *, chart_title: str
) -> Section:
    return Section(key, heading, note, [column, "Views"], rows, charts.bar_chart(rows, title=chart_title))


def _sections(*, by: str, days: int) -> list[Section]:
    today = timezone.localdate()
    series_first = today - timedelta(days=SERIES[by] - 1)
    if by == "week":
        series_first -= timedelta(days=series_first.weekday())
    widest = max(SERIES[by], days, 30)
    everything = reports.insights_collect(first=min(series_first, today - timedelta(days=widest - 1)), last=today)

    def window(n: int) -> reports.Insights:
        return reports.insights_collect(first=today - timedelta(days=n - 1), last=today)

    series = reports.periods(
        reports.Insights(
            first=series_first, last=today, days={d: p for d, p in everything.days.items() if d >= series_first}
        ),
        by=by,
    )
    last7, chosen = window(7), window(days)
    last30 = chosen if days == 30 else window(30)
    top7, top30 = reports.top_articles(last7), reports.top_articles(last30)
    signups = reports.signups_by_article(chosen)
    clicks = reports.digest_clicks(chosen)
    unit = "Week starting" if by == "week" else "Day"
    span = f"last {days} days"
    return [
        Section(
            "views",
            f"Views and visitors per {by}",
            "Visitors are unique per article and day; a week's figure adds up its days.",
            [unit, "Views", "Visitors"],
            [(p.start.isoformat(), p.views, p.visitors) for p in series],
            charts.views_chart(series, by=by),
        ),
        _top_articles_section(last=7, top=top7),
        _top_articles_section(last=30, top=top30),
        *(
            _views_by_source_section(
                key,
                f"{heading}, {span}",
                note,
                column,
                reports.sources_of(chosen, kind),
                chart_title=f"Views by {what}, {span}",
            )
            for kind, key, heading, note, column, what in SOURCE_SECTIONS
        ),
        Section(
            "signups",
            f"Subscribers gained per article, {span}",
            "Readers who subscribed from the article's form, counted on the day they confirmed.",
            ["Article", "Confirmed signups", "Views"],
            [(a.title, a.signups, a.views) for a in signups],
            charts.bar_chart([(a.title, a.signups) for a in signups], title=f"Confirmed signups per article, {span}"),
        ),
        Section(
            "clicks",
            f"Digest click-through, {span}",
            "Clicks on each article's links per edition, and per 100 mails sent (clicks, not people). "
            "Opens are not counted: see the README.",
            ["Edition", "Sent", "Article", "Clicks", "Clicks per 100 mails"],
            [(c.subject, c.sent, c.article_title, c.clicks, c.per_hundred) for c in clicks],
            charts.bar_chart(
                [(f"{c.subject}: {c.article_title}", c.clicks) for c in clicks],
                title=f"Digest clicks per edition and article, {span}",
            ),
        ),
    ]


def _csv(section: Section) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vivold-insights-{section.key}.csv"'
    response.write("\ufeff")  # so spreadsheets read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(section.columns)
    for row in section.rows:
        # A title starting with = + - @ would be a formula in a spreadsheet.
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" else v for v in row])
    return response


@admin.register(ArticleDay)
class InsightsAdmin(admin.ModelAdmin):
    """Shown as "Reader insights" in the admin: the page replaces the change list."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        by = request.GET.get("by", "day")
        days = RANGES.get(request.GET.get("days", "30"))
        if by not in SERIES or days is None:
            return HttpResponseBadRequest(
                "Choose by=day or by=week, and days=7, 30 or 90.", content_type="text/plain; charset=utf-8"
            )
        sections = _sections(by=by, days=days)
        wanted = request.GET.get("csv")
        if wanted is not None:
            for section in sections:
                if section.key == wanted:
                    return _csv(section)
            return HttpResponseBadRequest("No such table.", content_type="text/plain; charset=utf-8")
        context = {
            **self.admin_site.each_context(request),
            "title": "Reader insights",
            "opts": self.model._meta,
            "sections": sections,
            "by": by,
            "days": days,
            "ranges": list(RANGES),
            "query": f"by={by}&days={days}",
        }
        return TemplateResponse(request, "admin/insights/insights.html", context)

"""The subscriber activity chart on the admin's subscriber page, drawn here as SVG.

Signups, confirmations and unsubscribes per week over the last year (by
created_at, confirmed_at and unsubscribed_at), and active subscribers at the end
of each week (confirmed by then, and not unsubscribed or suppressed by then).
No JavaScript: the SVG is part of the page, with a data table beside it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.svg import NICE_STEPS, legend, nice_top

from .models import Subscriber

# Axis tops in steps up to 10,000, then whole tens of thousands.
AXIS = {"steps": NICE_STEPS[:15], "round_to": 10_000}

WEEKS = 52
SERIES = [
    ("signups", "Signups", "#1f5fa8"),
    ("confirmations", "Confirmations", "#2e7d32"),
    ("unsubscribes", "Unsubscribes", "#c62828"),
]
ACTIVE_COLOUR = "#6a3d9a"


@dataclass
class Week:
    start: date
    signups: int = 0
    confirmations: int = 0
    unsubscribes: int = 0
    active: int = 0


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """Local midnights of the Mondays starting each of the last `weeks` weeks, oldest first."""
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    tz = timezone.get_current_timezone()
    return [
        datetime.combine(monday - timedelta(weeks=back), datetime.min.time(), tzinfo=tz)
        for back in range(weeks - 1, -1, -1)
    ]


def subscriber_activity(now: datetime | None = None, weeks: int = WEEKS) -> list[Week]:
    now = now or timezone.now()
    starts = week_starts(now, weeks)
    rows = {start.date(): Week(start=start.date()) for start in starts}
    tz = timezone.get_current_timezone()
    for attribute, field in (
        ("signups", "created_at"),
        ("confirmations", "confirmed_at"),
        ("unsubscribes", "unsubscribed_at"),
    ):
        counts = (
            Subscriber.objects.filter(**{f"{field}__gte": starts[0], f"{field}__lte": now})
            .annotate(week=TruncWeek(field, tzinfo=tz))
            .order_by()
            .values("week")
            .annotate(n=Count("pk"))
        )
        for row in counts:
            week = row["week"]
            key = (timezone.localtime(week, tz) if timezone.is_aware(week) else week).date()
            if key in rows:
                setattr(rows[key], attribute, row["n"])
    # Active at each week's end, in one query: one filtered count per week.
    ends = [min(start + timedelta(weeks=1), now) for start in starts]
    active = Subscriber.objects.order_by().aggregate(
        **{
            f"w{index}": Count(
                "pk",
                filter=Q(confirmed_at__lte=end)
                & (
                    Q(status=Subscriber.Status.ACTIVE)
                    | Q(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at__gt=end)
                    | Q(status=Subscriber.Status.SUPPRESSED, suppressed_at__gt=end)
                ),
            )
            for index, end in enumerate(ends)
        }
    )
    for index, start in enumerate(starts):
        rows[start.date()].active = active[f"w{index}"]
    return list(rows.values())


def _scale(value: float, top: float, height: float) -> float:
    return height - (value / top * height if top else 0)


def render_svg(weeks: list[Week]) -> SafeString:
    """Two panels sharing the week axis: weekly events on top, active subscribers below."""
    width, left, right = 760, 48, 12
    top_h, bottom_h, gap, axis_h, legend_h = 170, 110, 34, 22, 26
    plot_w = width - left - right
    height = legend_h + top_h + gap + bottom_h + axis_h
    n = max(len(weeks), 2)
    step = plot_w / (n - 1)

    def x(index: int) -> float:
        return left + index * step

    events_top = nice_top(max([max(w.signups, w.confirmations, w.unsubscribes) for w in weeks] + [1]), **AXIS)
    active_top = nice_top(max([w.active for w in weeks] + [1]), **AXIS)
    y0_events = legend_h
    y0_active = legend_h + top_h + gap

    parts: list[SafeString] = []
    # Gridlines and y labels.
    for panel_top, panel_h, top_value in ((y0_events, top_h, events_top), (y0_active, bottom_h, active_top)):
        for fraction in (0, 0.5, 1):
            y = panel_top + panel_h - fraction * panel_h
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d0d0" stroke-width="1"/>'
                    '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#555">{}</text>',
                    left,
                    width - right,
                    f"{y:.1f}",
                    f"{y:.1f}",
                    left - 6,
                    f"{y + 4:.1f}",
                    round(top_value * fraction),
                )
            )
    # Month labels where a month begins.
    previous_month = None
    for index, week in enumerate(weeks):
        month = (week.start + timedelta(days=6)).month
        if month != previous_month and index > 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#555">{}</text>',
                    f"{x(index):.1f}",
                    height - 6,
                    (week.start + timedelta(days=6)).strftime("%b"),
                )
            )
        previous_month = month

    def polyline(values: list[int], top_value: int, *, panel_top: int, panel_h: int, colour: str, label: str):
        points = " ".join(
            f"{x(index):.1f},{panel_top + _scale(value, top_value, panel_h):.1f}" for index, value in enumerate(values)
        )
        return format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"><title>{}</title></polyline>',
            points,
            colour,
            label,
        )

    for key, label, colour in SERIES:
        parts.append(
            polyline(
                [getattr(w, key) for w in weeks],
                events_top,
                panel_top=y0_events,
                panel_h=top_h,
                colour=colour,
                label=label,
            )
        )
    parts.append(
        polyline(
            [w.active for w in weeks],
            active_top,
            panel_top=y0_active,
            panel_h=bottom_h,
            colour=ACTIVE_COLOUR,
            label="Active subscribers",
        )
    )
    # Legend.
    series = [*SERIES, ("active", "Active subscribers (lower panel)", ACTIVE_COLOUR)]
    parts.extend(legend([(label, colour) for _key, label, colour in series], left=left, spacing=170))
    total_signups = sum(w.signups for w in weeks)
    latest_active = weeks[-1].active if weeks else 0
    return format_html(
        '<svg class="subscriber-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        'height="{h}" role="img" aria-labelledby="subscriber-chart-title subscriber-chart-desc">'
        '<title id="subscriber-chart-title">Subscribers, week by week, over the last year</title>'
        '<desc id="subscriber-chart-desc">{desc}</desc>{body}</svg>',
        w=width,
        h=height,
        desc=f"{total_signups} signups in {len(weeks)} weeks; {latest_active} active subscribers now.",
        body=format_html_join("", "{}", ((part,) for part in parts)),
    )

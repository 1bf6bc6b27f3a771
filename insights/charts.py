"""The Insights page's charts, drawn here as SVG: no script, no outside library.

Each chart is a picture of a table printed beside it, so the numbers stay readable
and copyable (and are what screen readers get).
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.svg import legend, nice_top

from .reports import Period

VIEWS_COLOUR = "#1f5fa8"
VISITORS_COLOUR = "#2e7d32"
BAR_COLOUR = "#1f5fa8"


def _svg(*, css_class: str, width: int, height: int, title: str, desc: str, parts: list[SafeString]) -> SafeString:
    return format_html(
        '<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-label="{title}"><title>{title}</title><desc>{desc}</desc>{body}</svg>',
        cls=css_class,
        w=width,
        h=height,
        title=title,
        desc=desc,
        body=format_html_join("", "{}", ((part,) for part in parts)),
    )


def views_chart(periods: list[Period], *, by: str) -> SafeString:
    """Views as bars and visitors as a line, one slot per day or week."""
    width, left, right, top, plot_h, axis_h = 520, 44, 10, 28, 180, 24
    height = top + plot_h + axis_h
    plot_w = width - left - right
    n = max(len(periods), 1)
    slot = plot_w / n
    top_value = nice_top(max([p.views for p in periods] + [p.visitors for p in periods] + [1]))

    def y(value: int) -> float:
        return top + plot_h - value / top_value * plot_h

    parts: list[SafeString] = []
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = round(top_value * fraction)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="#d0d0d0"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#555">{}</text>',
                left,
                width - right,
                left - 6,
                f"{y(value) + 4:.1f}",
                value,
                y=f"{y(value):.1f}",
            )
        )
    label_every = max(1, round(n / 8))
    for index, period in enumerate(periods):
        x = left + index * slot
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} views, {} visitors</title></rect>',
                f"{x + slot * 0.15:.1f}",
                f"{y(period.views):.1f}",
                f"{slot * 0.7:.1f}",
                f"{top + plot_h - y(period.views):.1f}",
                VIEWS_COLOUR,
                period.start.isoformat(),
                period.views,
                period.visitors,
            )
        )
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#555">{}</text>',
                    f"{x + slot / 2:.1f}",
                    height - 6,
                    period.start.strftime("%d %b"),
                )
            )
    points = " ".join(f"{left + (i + 0.5) * slot:.1f},{y(p.visitors):.1f}" for i, p in enumerate(periods))
    parts.append(
        format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"><title>Visitors</title></polyline>',
            points,
            VISITORS_COLOUR,
        )
    )
    parts.extend(legend([("Views", VIEWS_COLOUR), ("Visitors", VISITORS_COLOUR)], left=left, spacing=110))
    unit = "week" if by == "week" else "day"
    total = sum(p.views for p in periods)
    return _svg(
        css_class="insights-chart",
        width=width,
        height=height,
        title=f"Views and visitors per {unit}",
        desc=f"{total} views over {len(periods)} {unit}s.",
        parts=parts,
    )


def bar_chart(rows: list[tuple[str, int]], *, title: str) -> SafeString:
    """Horizontal bars, one per row (label, value), largest first as given."""
    width, label_w, value_w, bar_h, gap, top = 520, 210, 52, 16, 7, 6
    rows = rows or [("Nothing counted yet", 0)]
    height = top + len(rows) * (bar_h + gap)
    plot_w = width - label_w - value_w
    top_value = max([value for _, value in rows] + [1])
    parts: list[SafeString] = []
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_h + gap)
        shown = label if len(label) <= 28 else label[:27].rstrip() + "…"
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#222">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="12" fill="#222">{}</text>',
                label_w - 8,
                y + 12,
                shown,
                label_w,
                y,
                f"{max(value / top_value * plot_w, 1 if value else 0):.1f}",
                bar_h,
                BAR_COLOUR,
                label,
                value,
                f"{label_w + value / top_value * plot_w + 6:.1f}",
                y + 12,
                value,
            )
        )
    return _svg(
        css_class="insights-chart",
        width=width,
        height=height,
        title=title,
        desc=f"{len(rows)} rows; the largest is {rows[0][1]}.",
        parts=parts,
    )

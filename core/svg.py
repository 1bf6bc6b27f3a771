"""Pieces shared by the admin's server-drawn SVG charts (subscribers, reader insights)."""

from django.utils.html import format_html
from django.utils.safestring import SafeString

NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000)


def nice_top(value: int, *, steps: tuple[int, ...] = NICE_STEPS, round_to: int = 100_000) -> int:
    """The smallest axis top of four equal gridline steps that holds `value`."""
    for step in steps:
        if value <= step * 4:
            return step * 4
    return ((value // round_to) + 1) * round_to


def legend(items: list[tuple[str, str]], *, left: int, spacing: int) -> list[SafeString]:
    """A swatch and a label for each (label, colour), in a row along the chart's top."""
    return [
        format_html(
            '<rect x="{}" y="6" width="12" height="12" fill="{}"/>'
            '<text x="{}" y="16" font-size="12" fill="#222">{}</text>',
            left + index * spacing,
            colour,
            left + index * spacing + 17,
            label,
        )
        for index, (label, colour) in enumerate(items)
    ]

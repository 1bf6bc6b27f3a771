"""Dates as every page prints them, without the general date filter's format parser.

``{{ when|iso }}`` is ``{{ when|date:'c' }}`` and ``{{ when|day_month_year }}`` is
``{{ when|date:'j F Y' }}`` (English month names: the site is English only), both
in the site's time zone; a listing prints twenty of them."""

from datetime import date

from django import template

register = template.Library()

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@register.filter(expects_localtime=True)
def iso(value: date | None) -> str:
    return value.isoformat() if value else ""


@register.filter(expects_localtime=True)
def day_month_year(value: date | None) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}" if value else ""

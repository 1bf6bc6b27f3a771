"""The date filters reader pages use print exactly what Django's date filter would."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template, engines


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 6, 30, 23, 30, tzinfo=UTC),  # already 1 July in London (summer time)
        datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # the hour the clocks go forward
        date(2026, 2, 9),
        None,
    ],
)
def test_same_as_the_date_filter(value):
    ours = engines["jinja2"].from_string("{{ v|iso }}|{{ v|day_month_year }}|{{ v|date('j F Y') }}")
    django = Template("{{ v|date:'c' }}|{{ v|date:'j F Y' }}|{{ v|date:'j F Y' }}")
    assert ours.render({"v": value}) == django.render(Context({"v": value}))
    if value is not None:
        assert ours.render({"v": value}).split("|")[1]  # a date was printed, not an empty string

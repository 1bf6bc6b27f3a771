"""What the Insights page, its CSV files and ``insights_report`` show: the daily aggregates plus
whatever Redis has counted and not flushed yet, so a figure is never a minute behind.

Visitors are unique per article and day; over several days they are summed (a reader who
comes back on three days counts three times), since no identifier survives its day.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from articles.models import Article

from .flushing import pending_read
from .models import ArticleDay, DigestClickDay, SiteDay, SourceDay
from .reader import INTERNAL


@dataclass
class ArticleTotals:
    article_id: int
    slug: str = ""
    title: str = ""
    views: int = 0
    visitors: int = 0
    signups: int = 0
    digest_clicks: int = 0

    def as_json(self) -> dict:
        return {
            "slug": self.slug,
            "views": self.views,
            "visitors": self.visitors,
            "signups": self.signups,
            "digest_clicks": self.digest_clicks,
        }


@dataclass
class Period:
    start: date
    views: int = 0
    visitors: int = 0


@dataclass
class Insights:
    """Everything over one range of days [first, last], merged from the database and Redis."""

    first: date
    last: date
    days: dict[date, Period] = field(default_factory=dict)
    articles: dict[int, ArticleTotals] = field(default_factory=dict)
    sources: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    clicks: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))

    def article(self, article_id: int) -> ArticleTotals:
        if article_id not in self.articles:
            self.articles[article_id] = ArticleTotals(article_id)
        return self.articles[article_id]


def last_days(days: int, *, today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=days - 1), today


def insights_collect(*, first: date, last: date) -> Insights:
    insights = Insights(first=first, last=last)
    day = first
    while day <= last:
        insights.days[day] = Period(day)
        day += timedelta(days=1)
    in_range = {"day__gte": first, "day__lte": last}
    for row in SiteDay.objects.filter(**in_range):
        insights.days[row.day].views, insights.days[row.day].visitors = row.views, row.visitors
    per_article_day: dict[tuple[date, int], list[int]] = {}
    for day, article_id, views, visitors, signups in ArticleDay.objects.filter(**in_range).values_list(
        "day", "article_id", "views", "visitors", "signups"
    ):
        per_article_day[(day, article_id)] = [views, visitors]
        insights.article(article_id).signups += signups
    for kind, value, views in (
        SourceDay.objects.filter(**in_range).values_list("kind", "value").annotate(n=Sum("views")).order_by()
    ):
        insights.sources[(kind, value)] += views
    for digest_id, article_id, clicks in (
        DigestClickDay.objects.filter(**in_range)
        .values_list("digest_id", "article_id")
        .annotate(n=Sum("clicks"))
        .order_by()
    ):
        insights.clicks[(digest_id, article_id)] += clicks

    _pending_merge(insights, per_article_day)
    for (_day, article_id), (views, visitors) in per_article_day.items():
        totals = insights.article(article_id)
        totals.views += views
        totals.visitors += visitors
    for (_digest_id, article_id), clicks in insights.clicks.items():
        insights.article(article_id).digest_clicks += clicks
    for pk, slug, title in Article.objects.filter(pk__in=list(insights.articles)).values_list("pk", "slug", "title"):
        insights.articles[pk].slug, insights.articles[pk].title = slug, title
    # An article deleted since keeps no row worth showing.
    insights.articles = {pk: totals for pk, totals in insights.articles.items() if totals.slug}
    return insights


def _pending_merge(insights: Insights, per_article_day: dict[tuple[date, int], list[int]]) -> None:
    """Add Redis's unflushed counts; a day's visitors there are its whole HyperLogLog, so the larger wins."""
    first, last = insights.first, insights.last
    pending = pending_read()
    for (day, article_id), views in pending.views.items():
        if first <= day <= last:
            stored = per_article_day.setdefault((day, article_id), [0, 0])
            stored[0] += views
            stored[1] = max(stored[1], pending.visitors.get((day, article_id), 0))
            insights.days[day].views += views
    for day, visitors in pending.site_visitors.items():
        if first <= day <= last:
            insights.days[day].visitors = max(insights.days[day].visitors, visitors)
    for (day, _article_id, kind, value), views in pending.sources.items():
        if first <= day <= last:
            insights.sources[(kind, value)] += views
    for (day, digest_id, article_id), clicks in pending.clicks.items():
        if first <= day <= last:
            insights.clicks[(digest_id, article_id)] += clicks


def report_rows(*, days: int) -> list[dict]:
    """``insights_report --days N``: one object per article with anything counted, most viewed first."""
    first, last = last_days(days)
    insights = insights_collect(first=first, last=last)
    ranked = sorted(insights.articles.values(), key=lambda a: (-a.views, -a.signups, a.slug))
    return [totals.as_json() for totals in ranked]


def periods(insights: Insights, *, by: str) -> list[Period]:
    """The site's views and visitors per day, or per week (weeks start on Monday)."""
    ordered = [insights.days[day] for day in sorted(insights.days)]
    if by != "week":
        return ordered
    weeks: dict[date, Period] = {}
    for period in ordered:
        start = period.start - timedelta(days=period.start.weekday())
        week = weeks.setdefault(start, Period(start))
        week.views += period.views
        week.visitors += period.visitors
    return list(weeks.values())


def top_articles(insights: Insights, limit: int = 10) -> list[ArticleTotals]:
    ranked = sorted(insights.articles.values(), key=lambda a: (-a.views, a.slug))
    return [a for a in ranked if a.views][:limit]


def signups_by_article(insights: Insights, limit: int = 10) -> list[ArticleTotals]:
    ranked = sorted(insights.articles.values(), key=lambda a: (-a.signups, -a.views, a.slug))
    return [a for a in ranked if a.signups][:limit]


SOURCE_LABELS = {"": "Direct, or not said", INTERNAL: "Another page of this site"}


def sources_of(insights: Insights, kind: str, limit: int = 10) -> list[tuple[str, int]]:
    rows = sorted(((value, n) for (k, value), n in insights.sources.items() if k == kind), key=lambda r: (-r[1], r[0]))
    return [(SOURCE_LABELS.get(value, value) if kind == SourceDay.Kind.REFERRER else value, n) for value, n in rows][
        :limit
    ]


@dataclass
class EditionClicks:
    digest_id: int
    subject: str
    sent_at: object
    sent: int
    article_title: str
    clicks: int

    @property
    def per_hundred(self) -> float | None:
        """Clicks per 100 mails sent: how often a mail led to this article (not how many people)."""
        return round(100 * self.clicks / self.sent, 1) if self.sent else None


def digest_clicks(insights: Insights, limit: int = 30) -> list[EditionClicks]:
    from digests.models import Digest

    if not insights.clicks:
        return []
    digests = {d.pk: d for d in Digest.objects.filter(pk__in={g for g, _ in insights.clicks})}
    titles = dict(Article.objects.filter(pk__in={a for _, a in insights.clicks}).values_list("pk", "title"))
    rows = [
        EditionClicks(g, digests[g].subject, digests[g].sent_at, digests[g].sent_count, titles[a], n)
        for (g, a), n in insights.clicks.items()
        if g in digests and a in titles
    ]
    rows.sort(key=lambda r: (-(r.sent_at.timestamp() if r.sent_at else 0), -r.clicks, r.article_title))
    return rows[:limit]

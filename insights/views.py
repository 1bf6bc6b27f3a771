"""The beacon's endpoint and the digests' click redirect: no session, no cookie, no CSRF token."""

import re
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from redis.exceptions import RedisError

from articles.models import Article
from core.clients import client_ip

from . import counting, reader
from .links import digest_link_valid

MAX_BEACON_BYTES = 4096
CAMPAIGN_FROM_DIGEST = "utm_source=digest&utm_medium=email"


def _cross_site(request: HttpRequest) -> bool:
    """A post another site's page made (the browser says so in Sec-Fetch-Site or Origin)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return (urlsplit(origin).hostname or "") not in reader.own_hosts(request)


def _no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


ARTICLE_PATH = re.compile(r"(?P<prefix>.*/)x/")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _published_article(path: str) -> int | None:
    """The id of the published article at this path (previews and other pages are not counted)."""
    prefix = ARTICLE_PATH.fullmatch(reverse("articles:detail", kwargs={"slug": "x"}))["prefix"]  # "/articles/"
    slug = path.removeprefix(prefix).removesuffix("/")
    if len(slug) + len(prefix) + 1 != len(path) or not SLUG.fullmatch(slug):
        return None
    return counting.published_article_id(slug)


@csrf_exempt  # no session acts here; cross-site posts are refused by their headers below
@require_POST
def beacon(request: HttpRequest) -> HttpResponse:
    """One page view, sent by static/js/insights.js (most arrive through insights.middleware's fast path)."""
    return beacon_answer(request)


def beacon_answer(request: HttpRequest) -> HttpResponse:
    """204 whether or not the view was counted; 403 for a cross-site post, 400 for a malformed one."""
    if _cross_site(request):
        return HttpResponse("Cross-site beacons are not accepted.", status=403, content_type="text/plain")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BEACON_BYTES:
        return HttpResponseBadRequest("The beacon is too large.", content_type="text/plain")
    page = request.POST.get("u", "")
    if not page.startswith("/") or page.startswith("//") or len(page) > 2000:
        return HttpResponseBadRequest("The beacon names no page of this site.", content_type="text/plain")
    path, _, query = page.partition("?")
    article_id = _published_article(path)
    ip = client_ip(request)
    if article_id is None or ip is None or not reader.countable(request):
        return _no_content()
    user_agent = request.headers.get("User-Agent", "")
    day = timezone.localdate()
    try:
        visitor = counting.visitor_hash(ip=ip, user_agent=user_agent, day=day)
    except RedisError:  # no salt to be had: nothing is counted, as in view_count()
        return _no_content()
    counting.view_count(
        view=counting.View(
            article_id=article_id,
            visitor=visitor,
            referrer=reader.referrer_domain(request.POST.get("r", ""), reader.own_hosts(request)),
            campaign=reader.campaign(query),
            device=reader.device_class(user_agent),
        ),
        day=day,
    )
    return _no_content()


@never_cache
@require_safe
def digest_link(request: HttpRequest, digest_id: int, slug: str) -> HttpResponse:
    """A digest's link to an article: count the click (not who made it), then go to the article."""
    if not digest_link_valid(digest_id=digest_id, slug=slug, signature=request.GET.get("s", "")):
        return render(request, "insights/bad_link.html", status=400)
    article = Article.objects.published().filter(slug=slug).only("pk", "slug").first()
    if article is None:
        return render(request, "insights/bad_link.html", {"gone": True}, status=404)
    if request.method == "GET" and reader.countable(request):
        from digests.models import Digest

        if Digest.objects.filter(pk=digest_id).exists():
            counting.click_count(digest_id=digest_id, article_id=article.pk)
    response = HttpResponseRedirect(f"{article.get_absolute_url()}?{CAMPAIGN_FROM_DIGEST}")
    response["Referrer-Policy"] = "no-referrer"
    return response

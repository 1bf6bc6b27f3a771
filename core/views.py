import sys

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.views import static
from django.views.decorators.cache import never_cache

from core.links import absolute_url
from core.outage import database_unavailable, unavailable_response

# Uploads are re-encoded into one of these (articles/images.py); nothing else is served.
MEDIA_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "1", 5)
            checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: no answer"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A way on: a search box and the latest articles."""
    from articles.models import Article
    from articles.views import LATEST_SHOWN

    latest = list(Article.objects.published().for_listing()[:LATEST_SHOWN])
    return render(request, "404.html", {"latest": latest}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]  # Django calls this while handling the exception
    if database_unavailable(exc):  # raised outside a view (core.outage answers for views)
        return unavailable_response(request, exc)
    # No request context: whatever broke may be the database or a context processor.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def media_file(request: HttpRequest, path: str) -> HttpResponse:
    """An uploaded image: only image files, never sniffed, never run as a document."""
    if not path.lower().endswith(MEDIA_SUFFIXES):
        raise Http404("Not an image.")
    response = static.serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, an image gets no script, no plugins, no same origin.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    # Upload names are random and never reused.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def robots_txt(request: HttpRequest) -> HttpResponse:
    # Token pages are private to one subscriber; drafts and previews answer 404 to crawlers anyway.
    private = ["admin:index", "newsletter:confirm", "newsletter:unsubscribe", "newsletter:preferences"]
    lines = ["User-agent: *"]
    lines += [f"Disallow: {_url_prefix(name)}" for name in private]
    lines += ["", f"Sitemap: {absolute_url(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _url_prefix(name: str) -> str:
    """The fixed start of a named URL: /newsletter/confirm/<token>/ gives /newsletter/confirm/."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(name, kwargs={"token": "-"}).rsplit("-", 1)[0]

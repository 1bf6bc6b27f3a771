from django.conf import settings

from core.links import absolute_url


def site(request):
    # Paginated listings are distinct pages: their canonical link keeps ?page=N (N > 1), nothing else.
    page = request.GET.get("page", "")
    query = f"?page={int(page)}" if page.isascii() and page.isdigit() and int(page) > 1 else ""
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "canonical_url": absolute_url(f"{request.path}{query}"),
    }

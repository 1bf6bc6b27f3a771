"""The site's URLs plus what only tests need: a view that fails, and the
provider webhooks that production serves once ANYMAIL_WEBHOOK_SECRET is set."""

from django.urls import include, path

from vivold.urls import handler404, handler500  # noqa: F401
from vivold.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("a failure on our side")


urlpatterns = [
    *site_urlpatterns,
    path("test-broken/", broken),
    path("anymail/", include("anymail.urls")),
]

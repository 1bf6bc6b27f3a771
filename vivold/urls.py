from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

from articles.sitemaps import SITEMAPS
from core import views

urlpatterns = [
    path("", include("articles.urls")),
    path("newsletter/digests/", include("digests.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("insights/", include("insights.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("admin/", admin.site.urls),
]

# Uploaded images, unless they live on object storage behind a CDN.
if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", views.media_file, name="media"))
# The mail provider's bounce and complaint webhooks, once their shared secret is set.
if settings.ANYMAIL_WEBHOOKS:
    urlpatterns.append(path("anymail/", include("anymail.urls")))

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

"""The editors' admin: Django's, with the newsroom dashboard as its front page."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class NewsroomAdminConfig(AdminConfig):
    """django.contrib.admin, installed with NewsroomAdminSite as ``admin.site``."""

    default_site = "core.admin_site.NewsroomAdminSite"


class NewsroomAdminSite(admin.AdminSite):
    site_header = "Vivold newsroom"
    site_title = "Vivold newsroom"
    index_title = "Newsroom"
    index_template = "admin/newsroom_index.html"

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        # Not at the top: INSTALLED_APPS names this module's config before any model is loaded.
        from .dashboard import newsroom_dashboard

        context = {**(extra_context or {})}
        if request.user.has_perm("articles.view_article"):
            context["newsroom"] = newsroom_dashboard()
        return super().index(request, context)

"""The editors' admin site: Django's, with the newsroom dashboard as its front page."""

from django.contrib import admin
from django.http import HttpRequest

from .dashboard import newsroom_dashboard


class NewsroomAdminSite(admin.AdminSite):
    site_header = "Vivold newsroom"
    site_title = "Vivold newsroom"
    index_title = "Newsroom"
    index_template = "admin/newsroom_index.html"

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        context = {**(extra_context or {})}
        if request.user.has_perm("articles.view_article"):
            context["newsroom"] = newsroom_dashboard()
        return super().index(request, context)

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class VivoldConfig(AppConfig):
    """The project package as an app: it connects the project-wide signal receivers."""

    name = "vivold"
    verbose_name = "Vivold"

    def ready(self) -> None:
        import logging

        from django.conf import settings

        # Python warnings become log records too, so production output stays one JSON object a line.
        logging.captureWarnings(settings.LOG_FORMAT == "json")

        # Imported for their receivers: admin login failures, Celery task
        # failures, and the mail provider's bounce and complaint events.
        import newsletter.webhooks  # noqa: F401

        from . import observability, security  # noqa: F401


class NewsroomAdminConfig(AdminConfig):
    """Django's admin, with the newsroom dashboard as its front page (vivold/admin.py)."""

    default_site = "vivold.admin.NewsroomAdminSite"

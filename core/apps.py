import logging

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What several apps share; no models. Connects the site-wide receivers."""

    name = "core"

    def ready(self) -> None:
        from django.conf import settings

        # Python warnings become log records too, so production output stays one JSON object a line.
        logging.captureWarnings(settings.LOG_FORMAT == "json")

        # For their receivers: Celery task failures, and CSP settings changed by tests.
        from . import observability, security  # noqa: F401

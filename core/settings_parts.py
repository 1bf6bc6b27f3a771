"""The long structures of vivold/settings.py, built from the values it reads from the environment.

Imported by the settings: nothing here may import Django's models or read its settings.
"""

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.urls import reverse_lazy

from .csp_hashes import prose_editor_style_hashes


def beat_schedule(*, newsletter_sweep_seconds: float, scheduled_purges: bool) -> dict:
    """What Celery beat starts: the digests at 07:00 (CELERY_TIMEZONE, the site's time), the
    stalled-delivery and subscriber-mail sweeps, the insights flush, and with a front cache or
    the page cache the purge for scheduled articles."""
    schedule = {
        "digest-weekly": {
            "task": "digests.tasks.digests_due_send_task",
            "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
            "args": ("weekly",),
        },
        "digest-daily": {
            "task": "digests.tasks.digests_due_send_task",
            "schedule": crontab(minute=0, hour=7),
            "args": ("daily",),
        },
        "digest-reclaim-stalled": {"task": "digests.tasks.deliveries_reclaim_task", "schedule": 60.0},
        # Reader insights: Redis counters into the daily aggregates; past days' salts and hashes deleted.
        "insights-flush": {"task": "insights.tasks.insights_flush_task", "schedule": 60.0},
        "newsletter-mails-sweep": {
            "task": "newsletter.tasks.subscriber_mails_sweep_task",
            "schedule": newsletter_sweep_seconds,
        },
    }
    if scheduled_purges:
        # Scheduled articles appear by themselves; the front cache and the page cache hear of it here.
        schedule["front-cache-scheduled-articles"] = {
            "task": "articles.tasks.scheduled_articles_purge_task",
            "schedule": 60.0,
        }
    return schedule


def content_security_policy(*, media_url: str, img_src: list[str], upgrade_insecure_requests: bool) -> dict:
    """django-csp's policy: no inline script anywhere. The one inline element the admin needs,
    the rich-text editor's import map, carries the per-request nonce
    (core.security.CSPNonceMediaMixin). Images may also come from MEDIA_URL's origin when media
    lives elsewhere, and from the origins in ``img_src``."""
    media_origin = ["/".join(media_url.split("/", 3)[:3])] if "://" in media_url else []
    directives = {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # The rich-text editor's one fixed inline <style>, allowed by its hash only.
        "style-src": [SELF, *prose_editor_style_hashes()],
        "img-src": [SELF, "data:", *media_origin, *img_src],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
    if upgrade_insecure_requests:
        directives["upgrade-insecure-requests"] = True
    return {"DIRECTIVES": directives}


def logging_config(*, log_format: str, level: str) -> dict:
    """Every record goes through one console handler, stamped with the request id and redacted
    (core.observability); ``log_format`` is "json" (one object a line) or "text"."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "core.observability.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        # Every query at DEBUG would drown the rest.
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


def body_editor_extensions() -> dict:
    """The article body editor (django-prose-editor): what an analyst needs (charts as figures
    with alt text and captions, uploaded, dropped or pasted; tables with a header row; callouts)
    and nothing else. The sanitizer is derived from this same list (articles/editor.py has the
    processors of our own extensions)."""
    return {
        "Bold": True,
        "Italic": True,
        "Heading": {"levels": [2, 3]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        "Figure": True,
        "Image": True,
        "Caption": True,
        "ImageUpload": {"uploadUrl": reverse_lazy("admin:articles_article_upload_image")},
        "DataTable": True,
        "TableRow": True,
        "TableHeader": True,
        "TableCell": True,
        "Callout": True,
        "HardBreak": True,
        "HorizontalRule": True,
        "NoSpellCheck": False,  # the package turns the browser's spellcheck off by default
        "SpellCheck": True,
    }

"""Vivold settings, read from the environment (see the README's table).

Development defaults are safe to run on a laptop; with ``DJANGO_DEBUG`` off the
values a production site cannot do without must be given, or start-up stops.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# pytest sets PYTEST_VERSION for the whole session: the suite gets a throwaway
# key instead of the production refusal.
TESTING = "PYTEST_VERSION" in os.environ

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "Set it to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
if TESTING:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Vivold Insights"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_prose_editor",
    "core",
    "articles",
    "newsletter",
    "digests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "articles.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vivold.urls"
WSGI_APPLICATION = "vivold.wsgi.application"

# Reader pages are Jinja2 (jinja2/, the busy pages: see vivold/jinja.py); the
# admin and the emails are Django templates (templates/). A name is looked up
# in that order.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "vivold.jinja.environment",
            # request comes with every request; csrf_input and csrf_token too,
            # replaced by cheaper ones (vivold/csrf.py).
            "context_processors": ["vivold.context_processors.site", "vivold.csrf.context"],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vivold.context_processors.site",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASE_URL = env.str("DATABASE_URL", default="")
if not DATABASE_URL and not (DEBUG or TESTING):
    raise ImproperlyConfigured(
        "DATABASE_URL is required when DJANGO_DEBUG is off, for example postgres://vivold:password@db:5432/vivold."
    )
DATABASES = {
    "default": env.db_url_config(DATABASE_URL or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The ORM binds parameters on the client and never prepares; statements run
    # on a PreparedCursor (the article page's) are planned once per connection.
    # That pays only on connections that outlive a request, so it is off with
    # DATABASE_CONN_MAX_AGE=0; DATABASE_PREPARED_STATEMENTS=0 turns it off for a
    # pooler that cannot keep them (PgBouncer before 1.21, or without
    # max_prepared_statements).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=DATABASES["default"]["CONN_MAX_AGE"] != 0):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
else:
    # WAL lets readers go on while the development server writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: Celery broker and shared cache when configured; in-process otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
# Every Redis connection has short socket timeouts: a Redis that is down or hung costs a
# request a fraction of a second (the cache's callers carry on without it), not a hang.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "vivold.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "vivold",
            "OPTIONS": {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Reader pages served from the cache to anonymous visitors (articles/page_cache.py);
# PAGE_CACHE_SECONDS=0 turns the page cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
PAGE_CACHE_SHARED_MAX_AGE = 30
PAGE_CACHE_QUERY_PARAMETERS = {"page"}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"  # keep equal to TIME_ZONE: digests go out at 07:00 local time
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than any retry delay a task asks for (DIGEST_RETRY_MAX_SECONDS) and any
# delivery lane's run (DIGEST_LANE_SECONDS), so Redis never re-delivers a task that
# a worker still holds.
# The broker's socket timeout must exceed the 1 s a worker's BRPOP waits; a publish tries
# once more, then gives up (the work stays in the database for the sweeper).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": max(2.0, REDIS_SOCKET_TIMEOUT),
    "health_check_interval": 10,
}
CELERY_BROKER_CONNECTION_TIMEOUT = max(1.0, REDIS_SOCKET_TIMEOUT)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# A result backend (none is used: results are ignored) would get the same timeouts.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = max(2.0, REDIS_SOCKET_TIMEOUT)
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT}
CELERY_BEAT_SCHEDULE: dict = {
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
    "digest-reclaim-stalled": {
        "task": "digests.tasks.deliveries_reclaim_task",
        "schedule": 60.0,
    },
    "newsletter-mails-sweep": {
        "task": "newsletter.tasks.subscriber_mails_sweep_task",
        "schedule": env.float("NEWSLETTER_SWEEP_SECONDS", default=30.0),
    },
}
# Subscriber mail (newsletter.services.subscriber_mails_sweep): a signup request or queued
# mail waiting this long lost its task and is queued again; a mail claimed this long ago and
# never marked lost its worker. With a sweep every 30 s, a signup made while Redis was down
# is mailed within 90 s of Redis coming back.
NEWSLETTER_QUEUE_STALE_SECONDS = env.float("NEWSLETTER_QUEUE_STALE_SECONDS", default=60.0)
NEWSLETTER_CLAIM_TIMEOUT_SECONDS = env.float("NEWSLETTER_CLAIM_TIMEOUT_SECONDS", default=120.0)
# Digest delivery: rows claimed per batch (one SMTP connection each), parallel
# delivery tasks per edition, how long one task runs before it hands over, retry
# backoff for SMTP 4xx and lost connections, when a claimed row counts as stalled.
DIGEST_BATCH_SIZE = env.int("DIGEST_BATCH_SIZE", default=100)
DIGEST_SEND_LANES = env.int("DIGEST_SEND_LANES", default=4)
DIGEST_LANE_SECONDS = env.float("DIGEST_LANE_SECONDS", default=30.0)
DIGEST_RETRY_BASE_SECONDS = env.float("DIGEST_RETRY_BASE_SECONDS", default=2.0)
DIGEST_RETRY_MAX_SECONDS = env.float("DIGEST_RETRY_MAX_SECONDS", default=600.0)
DIGEST_MAX_ATTEMPTS = env.int("DIGEST_MAX_ATTEMPTS", default=8)
DIGEST_HARD_BOUNCE_LIMIT = env.int("DIGEST_HARD_BOUNCE_LIMIT", default=3)
DIGEST_CLAIM_TIMEOUT_SECONDS = env.float("DIGEST_CLAIM_TIMEOUT_SECONDS", default=300.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False  # English only; skips the translation machinery on every page
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "vivold.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365 if not DEBUG else 0

# Mail: EMAIL_URL like smtp://user:pass@host:587 or smtp+tls://…; console by default.
EMAIL_URL = env.str("EMAIL_URL", default="console://")
if EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif not EMAIL_URL.startswith("anymail:"):  # anymail://<provider>: see the production block below
    globals().update(env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Vivold Insights <insights@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 30

LOGIN_URL = "admin:login"

DJANGO_PROSE_EDITOR_DEFAULT_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Heading": {"levels": [2, 3]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "Image": True,
    "HardBreak": True,
    "HorizontalRule": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# --- Production and security ------------------------------------------------
# Everything a public deployment needs, kept in one block: headers, cookies,
# CSP, the admin login guard, uploads, mail providers and logs. The defaults
# are strict whenever DJANGO_DEBUG is off; the README's "Running in production"
# section documents each variable (see also .env.example).
INSTALLED_APPS += ["csp", "anymail", "axes", "vivold.apps.VivoldConfig"]

# Request id first, so every later log line carries it; CSP and the small
# header middleware right after Django's own security middleware.
MIDDLEWARE.insert(0, "vivold.observability.RequestIdMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "vivold.security.CSPMiddleware"
)
MIDDLEWARE.insert(MIDDLEWARE.index("vivold.security.CSPMiddleware") + 1, "vivold.security.PermissionsPolicyMiddleware")
# django-axes turns a refused sign-in into the lockout page; it goes last.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")

# A TLS-terminating proxy in front (load balancer, Caddy, nginx) says the
# original scheme in X-Forwarded-Proto and the client in X-Forwarded-For.
# Only set this when such a proxy exists and strips those headers from clients.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Tests talk plain HTTP to the test client and the live server.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not (DEBUG or TESTING))
# The container health check talks plain HTTP to the web process itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), browsing-topics=()"
)

# Content-Security-Policy (django-csp): no inline script anywhere. The one
# inline element the admin needs, the rich-text editor's import map, carries
# the per-request nonce (vivold.security.CSPNonceMediaMixin).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

from vivold.csp_hashes import prose_editor_style_hashes  # noqa: E402

# Media may move to object storage behind a CDN (MEDIA_URL=https://media.example.org/).
MEDIA_URL = env.str("MEDIA_URL", default=MEDIA_URL)
_media_origin = ["/".join(MEDIA_URL.split("/", 3)[:3])] if "://" in MEDIA_URL else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # The rich-text editor's one fixed inline <style>, allowed by its hash only.
        "style-src": [SELF, *prose_editor_style_hashes()],
        "img-src": [SELF, "data:", *_media_origin, *env.list("DJANGO_CSP_IMG_SRC", default=[])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"upgrade-insecure-requests": True} if SECURE_SSL_REDIRECT else {}),
    }
}

# Fixed-window limits per scope, as (requests, seconds); core.ratelimit has the defaults.
RATE_LIMITS: dict = {}

# Admin sign-in lock (django-axes, records in PostgreSQL): this many failures from one
# address (an IPv6 /64), whatever the usernames, locks it out for the window; the attempt
# is refused before the password is checked. Never counted per username alone.
LOGIN_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("DJANGO_LOGIN_LOCKOUT_SECONDS", default=15 * 60)
if not 1 <= LOGIN_FAILURE_LIMIT <= 6:
    raise ImproperlyConfigured("DJANGO_LOGIN_FAILURE_LIMIT must be between 1 and 6.")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked client before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["ip_address", "username"]]
AXES_CLIENT_IP_CALLABLE = "vivold.security.login_client_address"
AXES_USERNAME_CALLABLE = "vivold.security.login_username"
AXES_FAILURE_LIMIT = "vivold.security.login_failure_limit"
AXES_COOLOFF_TIME = "vivold.security.login_lockout_period"
AXES_LOCKOUT_CALLABLE = "vivold.security.login_locked_response"
# Attempts refused while locked are not recorded: a flood writes nothing, and the lock
# lifts one window after the last failure that was checked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False  # a guesser's own good account must not wipe the address's count
AXES_DISABLE_ACCESS_LOG = True

# Where collectstatic writes (the image collects at build time).
STATIC_ROOT = env.path("STATIC_ROOT", default=str(STATIC_ROOT))

# Uploaded images: admin-only, re-encoded by Pillow, capped in bytes and pixels.
IMAGE_UPLOAD_MAX_BYTES = env.int("IMAGE_UPLOAD_MAX_BYTES", default=8 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = env.int("IMAGE_UPLOAD_MAX_PIXELS", default=40_000_000)
FILE_UPLOAD_PERMISSIONS = 0o640
# Served by the web process unless media lives on object storage behind a CDN.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)

# Mail providers: EMAIL_URL=anymail://<provider> (mailgun, postmark, amazon_ses,
# sendgrid, brevo, …) sends through django-anymail; every ANYMAIL_<NAME>
# variable becomes ANYMAIL["<NAME>"] (API keys, webhook signing keys, and
# ANYMAIL_WEBHOOK_SECRET, the user:password the provider's webhooks must send).
ANYMAIL = {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")}
if EMAIL_URL.startswith("anymail://"):
    ANYMAIL_PROVIDER = EMAIL_URL.removeprefix("anymail://").strip("/")
    if not ANYMAIL_PROVIDER.isidentifier():
        raise ImproperlyConfigured(
            f"EMAIL_URL={EMAIL_URL!r}: name a django-anymail provider, for example anymail://mailgun."
        )
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_PROVIDER}.EmailBackend"
# Bounce and complaint webhooks are served only once their shared secret is set.
ANYMAIL_WEBHOOKS = bool(ANYMAIL.get("WEBHOOK_SECRET"))

# Logs: one JSON object a line (with the request id) unless LOG_FORMAT=text.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING["filters"] = {"request_id": {"()": "vivold.observability.RequestIdFilter"}}
LOGGING["formatters"] = {
    "json": {"()": "vivold.observability.JsonFormatter"},
    "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
}
LOGGING["handlers"]["console"].update(formatter=LOG_FORMAT, filters=["request_id"])
# Workers log through the same handler instead of Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# --- end of production and security -----------------------------------------

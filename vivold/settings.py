"""Vivold settings, read from the environment (see the README's table).

Development defaults are safe to run on a laptop; with ``DJANGO_DEBUG`` off the
values a production site cannot do without must be given, or start-up stops.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse_lazy
from js_asset import static_lazy

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
    "vivold.apps.NewsroomAdminConfig",  # django.contrib.admin with the newsroom dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_prose_editor",
    "simple_history",
    "core",
    "articles",
    "newsletter",
    "digests",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETags and 304s, on the cache headers and tags the front cache middleware writes.
    "django.middleware.http.ConditionalGetMiddleware",
    "core.frontcache.FrontCacheMiddleware",
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
            # request, csrf_input and csrf_token come with every request (Django's
            # Jinja2 backend); reader pages print no token, so they set no cookie.
            "context_processors": ["vivold.context_processors.site"],
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
    # DATABASE_POOL_SIZE > 0: connections come from a pool per process (psycopg_pool) and go
    # back to it after each request. gunicorn.conf.py sets it for its gevent workers, whose
    # greenlets would otherwise each keep a connection of their own.
    if pool_size := env.int("DATABASE_POOL_SIZE", default=0):
        # With CONN_HEALTH_CHECKS each connection handed out is checked (one empty round
        # trip): after PostgreSQL restarts, none of the pooled ones is alive.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": pool_size,
            # A request waits this long for a free connection, then gets a 503 (core/outage.py).
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=3.0),
            # While PostgreSQL is down the pool retries with a doubling delay; it starts again
            # from one second after this long, so it notices the database is back soon.
            "reconnect_timeout": 10.0,
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A database host that drops packets fails a request in seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # Django binds parameters on the client and never prepares. With
    # DATABASE_SERVER_SIDE_BINDING=1, psycopg binds them on the server and prepares
    # a statement after a few runs on one connection (PostgreSQL then plans it
    # once); off by default, and needs a pooler that keeps prepared statements
    # (PgBouncer 1.21+ with max_prepared_statements).
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=False):
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
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
            # One Redis client per process, not per thread or greenlet: core/cache.py.
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "vivold",
            "OPTIONS": {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The front cache (Varnish, or a CDN) in front of the reader pages: see
# core/frontcache.py for the headers, articles/purgers.py for the purgers.
FRONT_CACHE_URL = env.str("FRONT_CACHE_URL", default="")
FRONT_CACHE_PURGER = env.str("FRONT_CACHE_PURGER", default="varnish" if FRONT_CACHE_URL else "none")
FRONT_CACHE_SOFT_PURGE = env.bool("FRONT_CACHE_SOFT_PURGE", default=True)
FRONT_CACHE_SECONDS = env.int("FRONT_CACHE_SECONDS", default=60 * 60)  # s-maxage: purges keep it current
FRONT_CACHE_BROWSER_SECONDS = env.int("FRONT_CACHE_BROWSER_SECONDS", default=60)
FRONT_CACHE_STALE_SECONDS = env.int("FRONT_CACHE_STALE_SECONDS", default=60)
FRONT_CACHE_STALE_IF_ERROR_SECONDS = env.int("FRONT_CACHE_STALE_IF_ERROR_SECONDS", default=24 * 60 * 60)
FASTLY_API_TOKEN = env.str("FASTLY_API_TOKEN", default="")
FASTLY_SERVICE_ID = env.str("FASTLY_SERVICE_ID", default="")
FASTLY_API_URL = env.str("FASTLY_API_URL", default="")  # the client's own default when empty
CLOUDFLARE_API_TOKEN = env.str("CLOUDFLARE_API_TOKEN", default="")
CLOUDFLARE_ZONE_ID = env.str("CLOUDFLARE_ZONE_ID", default="")
CLOUDFLARE_API_URL = env.str("CLOUDFLARE_API_URL", default="")
_purger_needs = {
    "varnish": {"FRONT_CACHE_URL": FRONT_CACHE_URL},
    "fastly": {"FASTLY_API_TOKEN": FASTLY_API_TOKEN, "FASTLY_SERVICE_ID": FASTLY_SERVICE_ID},
    "cloudflare": {"CLOUDFLARE_API_TOKEN": CLOUDFLARE_API_TOKEN, "CLOUDFLARE_ZONE_ID": CLOUDFLARE_ZONE_ID},
    "none": {},
}
if FRONT_CACHE_PURGER not in _purger_needs:
    raise ImproperlyConfigured(f"FRONT_CACHE_PURGER={FRONT_CACHE_PURGER!r}: use varnish, fastly, cloudflare or none.")
if _missing_purger_settings := [name for name, value in _purger_needs[FRONT_CACHE_PURGER].items() if not value]:
    raise ImproperlyConfigured(f"FRONT_CACHE_PURGER={FRONT_CACHE_PURGER} needs {', '.join(_missing_purger_settings)}.")

# A search's statements together may run this long (PostgreSQL statement_timeout); past it the
# reader gets a 503 and a message (articles/search.py).
SEARCH_TIME_LIMIT_SECONDS = env.float("SEARCH_TIME_LIMIT_SECONDS", default=2.0)
# A request's body must arrive within this many seconds, or it gets a 408 (vivold/wsgi.py).
REQUEST_BODY_TIMEOUT = env.float("REQUEST_BODY_TIMEOUT", default=30.0)

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
    # Reader insights: Redis counters into the daily aggregates; past days' salts and hashes deleted.
    "insights-flush": {
        "task": "insights.tasks.insights_flush_task",
        "schedule": 60.0,
    },
    "newsletter-mails-sweep": {
        "task": "newsletter.tasks.subscriber_mails_sweep_task",
        "schedule": env.float("NEWSLETTER_SWEEP_SECONDS", default=30.0),
    },
}
if FRONT_CACHE_PURGER != "none":
    # Scheduled articles appear by themselves; the front cache hears of it here.
    CELERY_BEAT_SCHEDULE["front-cache-scheduled-articles"] = {
        "task": "articles.tasks.scheduled_articles_purge_task",
        "schedule": 60.0,
    }
# Reader insights: with Redis, each web process sends its beacons' counts in one round trip
# this often (0: one round trip per beacon, as the tests do).
INSIGHTS_BATCH_SECONDS = 0.0 if TESTING else 0.25
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
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
        # Collected as root at build time, read by the unprivileged user that runs the
        # site: world-readable, not FILE_UPLOAD_PERMISSIONS (0640, for uploads).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
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
# Where signing in lands when its `next` is missing or refused (another site's address).
LOGIN_REDIRECT_URL = "admin:index"

# The article body editor: what an analyst needs (charts as figures with alt
# text and captions, uploaded, dropped or pasted; tables with a header row;
# callouts) and nothing else. The sanitizer is derived from this same list
# (articles/editor.py has the processors of our own extensions).
DJANGO_PROSE_EDITOR_DEFAULT_EXTENSIONS = {
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
from articles import editor as _body_editor  # noqa: E402 - processors only, no models

DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {"js": [static_lazy("js/article-editor.js")], "extensions": _body_editor.PROCESSORS},
]

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
# PostgreSQL unreachable: 503, a short maintenance page and Retry-After, not a 500.
MIDDLEWARE.insert(1, "core.outage.DatabaseOutageMiddleware")
# Reader insights' beacons are answered before everything else they don't need (insights/middleware.py).
MIDDLEWARE.insert(2, "insights.middleware.BeaconMiddleware")
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
AXES_VERBOSE = False  # its start-up banner in every process says nothing an operator needs
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

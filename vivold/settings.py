"""Vivold settings, read from the environment (every variable is in .env.example).

Development defaults are safe on a laptop; with ``DJANGO_DEBUG`` off the defaults are the strict
production ones, and start-up stops without the values a production site cannot do without. The
test suite's own values are in pyproject.toml ([tool.pytest_env]).
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from js_asset import static_lazy

from articles import editor as body_editor
from core.settings_parts import beat_schedule, body_editor_extensions, content_security_policy, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "Set it to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Vivold Insights"

INSTALLED_APPS = [
    "core.admin_site.NewsroomAdminConfig",  # django.contrib.admin, the newsroom dashboard its front page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves static files to whitenoise, as production does.
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
    "csp",
    "anymail",
    "axes",
]

MIDDLEWARE = [
    # First, so every later log line carries the request id.
    "core.observability.RequestIdMiddleware",
    # PostgreSQL unreachable: 503, a short maintenance page and Retry-After, not a 500.
    "core.outage.DatabaseOutageMiddleware",
    # Reader insights' beacons are answered before everything else they don't need (insights/middleware.py).
    "insights.middleware.BeaconMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise, so static files get the policy headers too.
    "core.security.CSPMiddleware",
    "core.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETags and 304s, on pages from the page cache and on the front cache middleware's headers.
    "django.middleware.http.ConditionalGetMiddleware",
    "core.pagecache.PageCacheMiddleware",
    "core.frontcache.FrontCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: django-axes turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vivold.urls"
WSGI_APPLICATION = "vivold.wsgi.application"

# Reader pages are Jinja2 (jinja2/, the busy pages: see core/jinja.py); the admin and the
# emails are Django templates (templates/). A name is looked up in that order.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "core.jinja.environment",
            # request, csrf_input and csrf_token come with every request (Django's
            # Jinja2 backend); reader pages print no token, so they set no cookie.
            "context_processors": ["core.context_processors.site"],
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
                "core.context_processors.site",
            ],
        },
    },
]

DATABASE_URL = env.str("DATABASE_URL", default="")
if not DATABASE_URL and not DEBUG:
    raise ImproperlyConfigured(
        "DATABASE_URL is required when DJANGO_DEBUG is off, for example postgres://vivold:password@db:5432/vivold."
    )
DATABASES = {"default": env.db_url_config(DATABASE_URL or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
_database_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # Each connection handed out is checked (one empty round trip): after PostgreSQL restarts, none is alive.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A pool per process (psycopg_pool) when DATABASE_POOL_SIZE > 0: gunicorn.conf.py sets it for its
    # gevent workers, whose greenlets would otherwise each keep a connection of their own.
    if pool_size := env.int("DATABASE_POOL_SIZE", default=0):
        _database_options["pool"] = {
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
    _database_options.setdefault("connect_timeout", 5)
    # Django binds parameters on the client and never prepares. With server-side binding psycopg
    # prepares a statement after a few runs on one connection (PostgreSQL then plans it once);
    # off by default: it needs a pooler that keeps prepared statements (PgBouncer 1.21+).
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=False):
        _database_options.update(server_side_binding=True, prepare_threshold=5)
else:
    # WAL lets readers go on while the development server writes.
    _database_options.update(init_command="PRAGMA journal_mode=WAL;", transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Short socket timeouts on every Redis connection: a Redis down or hung costs a request a
# fraction of a second (the cache's callers carry on without it), not a hang.
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

# The front cache (Varnish, or a CDN): core/frontcache.py has the headers, articles/purgers.py the purgers.
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
# What the front cache misses, kept in Redis, purged by tag (core/pagecache.py); 0 (off) in development.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=FRONT_CACHE_SECONDS if REDIS_URL and not DEBUG else 0)
if PAGE_CACHE_SECONDS > 0 and not REDIS_URL:
    raise ImproperlyConfigured("PAGE_CACHE_SECONDS needs REDIS_URL: in a per-process cache, edits would stay unseen.")

# A search's statements together may run this long, then a 503 and a message (articles/search.py).
SEARCH_TIME_LIMIT_SECONDS = env.float("SEARCH_TIME_LIMIT_SECONDS", default=2.0)
# A request's body must arrive within this many seconds, or it gets a 408 (vivold/wsgi.py).
REQUEST_BODY_TIMEOUT = env.float("REQUEST_BODY_TIMEOUT", default=30.0)

# Redis: Celery's broker when configured; tasks run in-process otherwise.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"  # keep equal to TIME_ZONE: digests go out at 07:00 local time
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The visibility timeout is longer than any retry delay a task asks for (DIGEST_RETRY_MAX_SECONDS)
# and any delivery lane's run (DIGEST_LANE_SECONDS), so Redis never re-delivers a task that a
# worker still holds. The socket timeout must exceed the 1 s a worker's BRPOP waits; a publish
# tries once more, then gives up (the work stays in the database for the sweeper).
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
# Periodic work (digests at 07:00 local time, sweeps, insights): core/settings_parts.py.
CELERY_BEAT_SCHEDULE = beat_schedule(
    newsletter_sweep_seconds=env.float("NEWSLETTER_SWEEP_SECONDS", default=30.0),
    scheduled_purges=FRONT_CACHE_PURGER != "none" or PAGE_CACHE_SECONDS > 0,
)

# Reader insights: with Redis, each web process sends its beacons' counts in one round trip
# this often (0: one round trip per beacon, as the tests do).
INSIGHTS_BATCH_SECONDS = env.float("INSIGHTS_BATCH_SECONDS", default=0.25)
# Subscriber mail (newsletter.mail_ledger.subscriber_mails_sweep): a signup or queued mail waiting
# this long lost its task and is queued again; a mail claimed this long ago and never marked lost
# its worker. With a sweep every 30 s, a signup made while Redis was down goes out within 90 s.
NEWSLETTER_QUEUE_STALE_SECONDS = env.float("NEWSLETTER_QUEUE_STALE_SECONDS", default=60.0)
NEWSLETTER_CLAIM_TIMEOUT_SECONDS = env.float("NEWSLETTER_CLAIM_TIMEOUT_SECONDS", default=120.0)
# A subscriber CSV with more rows is refused whole (newsletter/subscriber_csv.py): this many finish well
# inside a web worker's timeout (docs/benchmarks.md); a longer list goes in several files.
NEWSLETTER_IMPORT_MAX_ROWS = 10_000
# Digest delivery: rows claimed per batch (one SMTP connection each), parallel delivery tasks per
# edition, how long one task runs before it hands over, retry backoff for SMTP 4xx and lost
# connections, when a claimed row counts as stalled.
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
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))  # the image collects at build time
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files as they are in static/ and the apps, re-read when they change, no collectstatic and
# no hashed names: for the development server and the test suite.
_static_from_source = env.bool("DJANGO_STATIC_FROM_SOURCE", default=DEBUG)
# Media may move to object storage behind a CDN (MEDIA_URL=https://media.example.org/).
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if _static_from_source
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
        # Collected as root at build time, read by the unprivileged user that runs the site:
        # world-readable, unlike uploads (0640).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_USE_FINDERS = _static_from_source
WHITENOISE_AUTOREFRESH = _static_from_source
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365 if not DEBUG else 0

# Uploaded images: admin-only, re-encoded by Pillow, capped in bytes and pixels.
IMAGE_UPLOAD_MAX_BYTES = env.int("IMAGE_UPLOAD_MAX_BYTES", default=8 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = env.int("IMAGE_UPLOAD_MAX_PIXELS", default=40_000_000)
FILE_UPLOAD_PERMISSIONS = 0o640
# Served by the web process unless media lives on object storage behind a CDN.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)

# Mail: EMAIL_URL smtp://user:pass@host:587 (smtp+tls://…), console:// or anymail://<provider>
# (mailgun, postmark, …), where each ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"] (API keys,
# ANYMAIL_WEBHOOK_SECRET: the user:password the provider's webhooks must send).
EMAIL_URL = env.str("EMAIL_URL", default="console://")
if EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_URL.startswith("anymail://"):
    ANYMAIL_PROVIDER = EMAIL_URL.removeprefix("anymail://").strip("/")
    if not ANYMAIL_PROVIDER.isidentifier():
        raise ImproperlyConfigured(
            f"EMAIL_URL={EMAIL_URL!r}: name a django-anymail provider, for example anymail://mailgun."
        )
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_PROVIDER}.EmailBackend"
elif not EMAIL_URL.startswith("anymail:"):
    globals().update(env.email_url_config(EMAIL_URL))
ANYMAIL = {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")}
# Bounce and complaint webhooks are served only once their shared secret is set.
ANYMAIL_WEBHOOKS = bool(ANYMAIL.get("WEBHOOK_SECRET"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Vivold Insights <insights@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 30

LOGIN_URL = "admin:login"
# Where signing in lands when its `next` is missing or refused (another site's address).
LOGIN_REDIRECT_URL = "admin:index"

# The article body editor allows exactly what core/settings_parts.py lists; the sanitizer follows it.
DJANGO_PROSE_EDITOR_DEFAULT_EXTENSIONS = body_editor_extensions()
DJANGO_PROSE_EDITOR_EXTENSIONS = [{"js": [static_lazy("js/article-editor.js")], "extensions": body_editor.PROCESSORS}]

# A TLS-terminating proxy in front (load balancer, Caddy, nginx, the front cache) says the original
# scheme in X-Forwarded-Proto and the client in X-Forwarded-For; only when it strips clients' own.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Off in development: runserver speaks plain HTTP.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
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

# Content-Security-Policy (django-csp): core/settings_parts.py has the directives.
CONTENT_SECURITY_POLICY = content_security_policy(
    media_url=MEDIA_URL,
    img_src=env.list("DJANGO_CSP_IMG_SRC", default=[]),
    upgrade_insecure_requests=SECURE_SSL_REDIRECT,
)
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict = {}  # none: the policy above is enforced

# Fixed-window limits per scope, as (requests, seconds); core.ratelimit has the defaults.
RATE_LIMITS: dict = {}

# Admin sign-in lock (django-axes; core/security.py): this many failures from one address (an
# IPv6 /64) lock it out for the window, checked before the password. Never per username alone.
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
AXES_CLIENT_IP_CALLABLE = "core.security.login_client_address"
AXES_USERNAME_CALLABLE = "core.security.login_username"
AXES_FAILURE_LIMIT = "core.security.login_failure_limit"
AXES_COOLOFF_TIME = "core.security.login_lockout_period"
AXES_LOCKOUT_CALLABLE = "core.security.login_locked_response"
# Attempts refused while locked are not recorded: a flood writes nothing, and the lock lifts one
# window after the last failure that was checked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False  # a guesser's own good account must not wipe the address's count
AXES_DISABLE_ACCESS_LOG = True

# Logs: one JSON object a line, with the request id, unless LOG_FORMAT=text.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# Workers log through the same handler instead of Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

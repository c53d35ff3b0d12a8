"""Settings shared by every environment; dev, test and prod adjust them.

Everything that differs between machines comes from the environment (see docs/operations.md).
The defaults make a first run work with no server at all: SQLite and a filesystem broker under
``var/``. The same code paths run on PostgreSQL and Redis when DATABASE_URL and CELERY_BROKER_URL
point at them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var"))).resolve()

SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files served from our own static files: no CDN for /api/docs/.
    "drf_spectacular_sidecar",
    "agencies",
    "letters",
    "exchange",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: template filters read the user's Thai-digits preference.
    "letters.display.DisplayPreferenceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestContextMiddleware",
    # Inside the request-id middleware: its audit rows carry the request id and address.
    "config.api.middleware.ApiKeyUsageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agencies.context_processors.acting_agency",
                "letters.context_processors.display",
                "audit.console.access.hub_roles",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, Any]:
    """Turn DATABASE_URL into Django's DATABASES entry, tuned per engine.

    SQLite opens every transaction with BEGIN IMMEDIATE so that two writers queue on the
    database lock instead of one failing with "database is locked" when it tries to upgrade a
    read lock; that is what keeps number allocation gapless without row locks on SQLite.
    """
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 0))
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not :memory:, so threads in tests and a Celery worker see the same database.
        config["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A working day, then sign in again; closing the browser ends the session.
SESSION_COOKIE_AGE = 9 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Nothing may frame our pages; the inline PDF preview's file view opts in to SAMEORIGIN
# (xframe_options_sameorigin and config.security.headers.framable_by_us).
X_FRAME_OPTIONS = "DENY"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Thai first: the UI speaks Thai unless the user switches to English.
LANGUAGE_CODE = "th"
LANGUAGES = [("th", "ไทย"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# The clerk UI's own files: stylesheet and vendored scripts (static/vendor, no CDN).
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads above this size spool to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Largest single attachment the hub accepts (bytes).
HUB_MAX_ATTACHMENT_BYTES = env_int("HUB_MAX_ATTACHMENT_BYTES", 500 * 1024 * 1024)
# Media types a draft may be given (comma-separated, e.g. "application/pdf,image/png"); empty:
# any type/subtype. Whatever the list, a file called a PDF must start with "%PDF-".
HUB_ATTACHMENT_MEDIA_TYPES = [
    media_type.lower() for media_type in env_list("HUB_ATTACHMENT_MEDIA_TYPES", [])
]
# TrueType font of the receiving stamp (ตรารับ) on registered letters' PDFs: a Thai font from
# Debian's fonts-thai-tlwg (letters/stamp.py, docs/ui.md).
HUB_STAMP_FONT = env_str("HUB_STAMP_FONT", "/usr/share/fonts/truetype/tlwg/Garuda.ttf")
# Largest main PDF the hub stamps on request (it is read whole into memory to be stamped);
# a larger one gets the stamp sheet instead.
HUB_STAMP_MAX_BYTES = env_int("HUB_STAMP_MAX_BYTES", 50 * 1024 * 1024)
# Letters per page in the clerk's inbox.
HUB_INBOX_PAGE_SIZE = env_int("HUB_INBOX_PAGE_SIZE", 50)
# Envelope verification limits (exchange.policy): the XML only; attachments travel beside it.
HUB_ENVELOPE_MAX_BYTES = env_int("HUB_ENVELOPE_MAX_BYTES", 10 * 1024 * 1024)
HUB_ENVELOPE_MAX_DEPTH = env_int("HUB_ENVELOPE_MAX_DEPTH", 64)
HUB_ENVELOPE_CLOCK_SKEW_SECONDS = env_int("HUB_ENVELOPE_CLOCK_SKEW_SECONDS", 600)
# A worker's claim on a delivery lasts this long; past it the sweeper hands the delivery to
# another worker (a killed worker's delivery waits at most this long). Longer than any attempt.
HUB_DELIVERY_LEASE_SECONDS = env_int("HUB_DELIVERY_LEASE_SECONDS", 300)
# Longest wait between two attempts of one delivery (exponential back-off stops growing here).
HUB_BACKOFF_CAP_SECONDS = env_int("HUB_BACKOFF_CAP_SECONDS", 3600)
# Circuit breaker: pause calls to a recipient for this long after 5 transient failures in a row.
HUB_BREAKER_COOLDOWN_SECONDS = env_int("HUB_BREAKER_COOLDOWN_SECONDS", 120)
# Push deliveries verify the peer's TLS certificate; only tests against 127.0.0.1 turn it off.
HUB_PUSH_VERIFY_TLS = env_bool("HUB_PUSH_VERIFY_TLS", True)
# Webhooks (exchange/webhooks/, docs/webhooks.md): an event nobody accepted within this time
# is given up (failed, code webhook.expired); its subscriber can redrive it.
HUB_WEBHOOK_TTL_SECONDS = env_int("HUB_WEBHOOK_TTL_SECONDS", 3 * 24 * 3600)
# Plain http:// webhook URLs would carry letter metadata in clear; dev and test allow them for
# local receivers, production refuses them unless this is set.
HUB_WEBHOOK_ALLOW_HTTP = env_bool("HUB_WEBHOOK_ALLOW_HTTP", False)
# Webhook receivers on private or loopback addresses (127.0.0.1 in development and tests).
HUB_WEBHOOK_ALLOW_PRIVATE = env_bool("HUB_WEBHOOK_ALLOW_PRIVATE", False)
# Agencies whose envelopes the inbound endpoint accepts; empty: every agency hosted here.
HUB_SERVED_AGENCIES = env_list("HUB_SERVED_AGENCIES", [])
# Bearer token Prometheus presents at /metrics (empty: only signed-in hub roles may read it).
HUB_METRICS_TOKEN = env_str("HUB_METRICS_TOKEN", "")
# Master key (base64 of 32 random bytes) that encrypts hosted agencies' private signing keys at
# rest with AES-256-GCM (agencies/pki/keystore.py, docs/pki.md). Empty here: dev and test set an
# insecure fixed key, production requires it.
HUB_KEY_ENCRYPTION_KEY = env_str("HUB_KEY_ENCRYPTION_KEY", "")

# The REST API (docs/api.md): conventions live in config/api, shared by every endpoint.
# Requests per API key (per user for sessions), as "<number>/<sec|min|hour|day>".
HUB_API_RATE = env_str("HUB_API_RATE", "600/min")
# Largest JSON body the API reads; multipart files are capped by HUB_MAX_ATTACHMENT_BYTES.
HUB_API_MAX_JSON_BYTES = env_int("HUB_API_MAX_JSON_BYTES", 1024 * 1024)
# How long the first answer to a POST with an Idempotency-Key is kept for its repeats.
HUB_IDEMPOTENCY_TTL_SECONDS = env_int("HUB_IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
# An Idempotency-Key held this long by an unfinished request (its process died) is released to
# a retry. Longer than any request runs; the body upload happens before the key is taken.
HUB_IDEMPOTENCY_LOCK_SECONDS = env_int("HUB_IDEMPOTENCY_LOCK_SECONDS", 300)

_RATE = re.compile(r"^[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)$")
if not _RATE.match(HUB_API_RATE):
    raise ImproperlyConfigured(
        f"HUB_API_RATE must look like 600/min (per s, min, hour or day), not {HUB_API_RATE!r}."
    )

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    # A key first: its class names the 401 challenge. Sessions serve the browser UI's calls.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.ApiRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.HubCursorPagination",
    "DEFAULT_PARSER_CLASSES": [
        "config.api.limits.CappedJSONParser",
        "config.api.limits.CappedMultiPartParser",
    ],
    # JSON only: the interactive page is /api/docs/, not DRF's browsable API.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.HubAutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Saraban Exchange Hub API",
    "DESCRIPTION": (
        "The agency-to-agency API of the Saraban Exchange Hub (ระบบรับส่งหนังสือราชการ"
        "ระหว่างส่วนราชการ): everything a saraban clerk does, for agencies' own e-saraban "
        "systems.\n\n"
        "* **Authentication**: an API key of one agency, `Authorization: Bearer <key>` "
        "(or `X-Api-Key: <key>`). Everything is scoped to the key's agency: another "
        "agency's objects answer 404.\n"
        '* **Errors**: always `{"code", "message", "details"}`; `code` is stable and '
        "machine-readable, `message` is for people (Thai, or English with "
        "`Accept-Language: en`).\n"
        "* **POST** honours `Idempotency-Key`: a repeat returns the first response "
        "(`Idempotent-Replayed: true`).\n"
        "* **Lists** are cursor-paginated: follow `next`.\n"
        "* **Rate limit** per key: 429 with `Retry-After`.\n\n"
        "Signed envelopes from peer hubs go to `POST /api/v1/exchange/envelopes` "
        "(docs/delivery.md), which is authenticated by the envelope's signature, not by a key."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page are public: integrators read them before they have a key.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status": name each choice set after its model, not a hash.
    "ENUM_NAME_OVERRIDES": {
        "LetterStatusEnum": "letters.models.LetterStatus",
        "DeliveryStatusEnum": "exchange.models.DeliveryStatus",
        "WebhookDeliveryStatusEnum": "exchange.webhooks.models.WebhookDeliveryStatus",
        "WebhookEventEnum": "exchange.webhooks.models.WebhookEvent",
        "RecipientRoleEnum": "letters.models.RecipientRole",
        "AttachmentRoleEnum": "letters.models.AttachmentRole",
        "MessageTypeEnum": "exchange.models.MESSAGE_TYPE_CHOICES",
        "AcknowledgementTypeEnum": "exchange.api.outgoing_serializers.ACKNOWLEDGEMENT_TYPE_VALUES",
        "RegisterSeriesEnum": "letters.models.RegisterSeries",
        "LetterSeriesEnum": "letters.api.outgoing_serializers.LETTER_SERIES_VALUES",
    },
}


def cache_settings(broker_url: str, cache_url: str = "") -> dict[str, Any]:
    """Return CACHES: shared Redis when there is one, else this process's memory.

    The cache holds rate-limit counters; they only limit across web processes when every
    process sees the same counters, hence Redis whenever the broker is Redis.
    """
    url = cache_url or (broker_url if broker_url.startswith(("redis://", "rediss://")) else "")
    if url:
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hub"}
    return {"default": {**backend, "KEY_PREFIX": "hub"}}


CACHES = cache_settings(env_str("CELERY_BROKER_URL", "filesystem://"), env_str("CACHE_URL", ""))


def celery_settings(broker_url: str, var_dir: Path) -> dict[str, Any]:
    """Return the Celery settings for a broker URL (``CELERY_``-prefixed names).

    Delivery state lives in the database; Celery only carries kicks. Hence late acks, redelivery
    when a worker dies, one message prefetched at a time and hard time limits that stay below the
    broker's visibility timeout, so a task is never redelivered while it is still running.
    """
    visibility_timeout = 3600
    settings: dict[str, Any] = {
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_SERIALIZER": "json",
        "CELERY_RESULT_SERIALIZER": "json",
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_TIMEZONE": TIME_ZONE,
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        "CELERY_TASK_SOFT_TIME_LIMIT": 240,
        "CELERY_TASK_TIME_LIMIT": 300,
        "CELERY_TASK_IGNORE_RESULT": True,
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(var_dir / "celerybeat-schedule"),
        # The sweeper is what makes a lost kick harmless: due or lease-expired deliveries are
        # found in the database and kicked again.
        "CELERY_BEAT_SCHEDULE": {
            "exchange-sweep": {"task": "exchange.sweep", "schedule": 5.0},
            "audit-checkpoint": {
                "task": "audit.checkpoint",
                "schedule": float(env_int("HUB_AUDIT_CHECKPOINT_SECONDS", 300)),
            },
            "api-idempotency-purge": {"task": "agencies.idempotency_purge", "schedule": 3600.0},
            # Files no row names (a crash mid-upload, a rolled-back send), past a day's grace.
            "storage-sweep": {"task": "exchange.storage_sweep", "schedule": 86400.0},
        },
    }
    if broker_url.startswith("filesystem://"):
        queue_dir = var_dir / "broker"
        folders = {name: queue_dir / name for name in ("queue", "processed", "control")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        settings["CELERY_BROKER_TRANSPORT_OPTIONS"] = {
            # In and out are the same folder: the producer writes where the worker reads.
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
            "store_processed": False,
            # The folder is polled; kombu's default of a second between polls kept each kick
            # waiting up to that long whenever the queue had just run empty.
            "polling_interval": 0.1,
        }
        default_backend = f"file://{var_dir / 'celery-results'}"
        (var_dir / "celery-results").mkdir(parents=True, exist_ok=True)
    else:
        settings["CELERY_BROKER_TRANSPORT_OPTIONS"] = {"visibility_timeout": visibility_timeout}
        default_backend = broker_url if broker_url.startswith(("redis://", "rediss://")) else ""
    settings["CELERY_RESULT_BACKEND"] = env_str("CELERY_RESULT_BACKEND", default_backend) or None
    return settings


VAR_DIR.mkdir(parents=True, exist_ok=True)
globals().update(celery_settings(env_str("CELERY_BROKER_URL", "filesystem://"), VAR_DIR))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # fontTools narrates every font subset at INFO while the receiving stamp is drawn.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

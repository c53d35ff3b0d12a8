"""Settings shared by every environment; dev, test and prod adjust them.

Everything that differs between machines comes from the environment (see docs/operations.md).
The defaults make a first run work with no server at all: SQLite and a filesystem broker under
``var/``. The same code paths run on PostgreSQL and Redis when DATABASE_URL and CELERY_BROKER_URL
point at them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext

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
    "agencies",
    "letters",
    "exchange",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestContextMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
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
# Agencies whose envelopes the inbound endpoint accepts; empty: every agency hosted here.
HUB_SERVED_AGENCIES = env_list("HUB_SERVED_AGENCIES", [])
# Master key (base64 of 32 random bytes) that encrypts hosted agencies' private signing keys at
# rest with AES-256-GCM (agencies/pki/keystore.py, docs/pki.md). Empty here: dev and test set an
# insecure fixed key, production requires it.
HUB_KEY_ENCRYPTION_KEY = env_str("HUB_KEY_ENCRYPTION_KEY", "")

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}


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
}

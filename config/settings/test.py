"""Test settings: explicit and fast, on whichever database and broker the environment names.

Files, the filesystem broker and the SQLite test database live under ``var/test`` so that a
test run never consumes the tasks or files of a `make run` going on beside it.
"""

import base64
import os

from config.env import env_bool, env_str

from .base import *  # noqa: F403
from .base import VAR_DIR, cache_settings, celery_settings

TEST_VAR_DIR = VAR_DIR / "test"
TEST_VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", "test-only-insecure-key")
# Hashing demo passwords with PBKDF2 costs ~0.3 s each; tests do not need that strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# INSECURE, tests only: a fixed key so that encrypted test keys are reproducible.
HUB_KEY_ENCRYPTION_KEY = env_str(
    "HUB_KEY_ENCRYPTION_KEY", base64.b64encode(b"INSECURE-test-only-key-encrypt!!").decode()
)
MEDIA_ROOT = TEST_VAR_DIR / "media"

# Under pytest-xdist ("gw0", "gw1", … in PYTEST_XDIST_WORKER, inherited by the workers a test
# starts) each test process has a broker of its own: a real worker started by one must never
# take the other's kicks, which name rows of another test database.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# The URL the run was given, remembered for the processes it starts (their environment's
# CELERY_BROKER_URL is already this process's own, derived below).
_BROKER = os.environ.setdefault(
    "HUB_TEST_BROKER_BASE", env_str("CELERY_BROKER_URL", "filesystem://")
)
if _XDIST_WORKER and _BROKER.startswith("redis://"):
    _base, _slash, _db = _BROKER.rpartition("/")
    _BROKER = f"{_base}/{int(_db or 0) - int(_XDIST_WORKER.removeprefix('gw') or 0)}"
    # Celery reads CELERY_BROKER_URL from the environment before its settings, and the
    # workers a test starts inherit this environment: it must name this process's broker.
    os.environ["CELERY_BROKER_URL"] = _BROKER
    os.environ.pop("CELERY_RESULT_BACKEND", None)
globals().update(
    celery_settings(_BROKER, TEST_VAR_DIR / _XDIST_WORKER if _XDIST_WORKER else TEST_VAR_DIR)
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_VAR_DIR / "db.sqlite3")}  # noqa: F405
# Commands that write beside the database (pki_demo's key files) stay inside var/test too.
VAR_DIR = TEST_VAR_DIR
# Local webhook receivers (a script on 127.0.0.1) speak plain HTTP.
HUB_WEBHOOK_ALLOW_HTTP = env_bool("HUB_WEBHOOK_ALLOW_HTTP", True)
# Webhook receivers on private or loopback addresses (127.0.0.1 in development and tests).
HUB_WEBHOOK_ALLOW_PRIVATE = env_bool("HUB_WEBHOOK_ALLOW_PRIVATE", True)
# Counters (rate limits, login throttling) of a test run never mix with those of a `make run`
# on the same Redis, nor with those of a second pytest-xdist process.
CACHES = cache_settings(_BROKER, env_str("CACHE_URL", ""))
CACHES["default"]["KEY_PREFIX"] = f"hub-test{_XDIST_WORKER}"

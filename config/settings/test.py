"""Test settings: explicit and fast, on whichever database and broker the environment names.

Files, the filesystem broker and the SQLite test database live under ``var/test`` so that a
test run never consumes the tasks or files of a `make run` going on beside it.
"""

import base64

from config.env import env_bool, env_str

from .base import *  # noqa: F403
from .base import VAR_DIR, celery_settings

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
globals().update(celery_settings(env_str("CELERY_BROKER_URL", "filesystem://"), TEST_VAR_DIR))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_VAR_DIR / "db.sqlite3")}  # noqa: F405
# Commands that write beside the database (pki_demo's key files) stay inside var/test too.
VAR_DIR = TEST_VAR_DIR
# Local webhook receivers (a script on 127.0.0.1) speak plain HTTP.
HUB_WEBHOOK_ALLOW_HTTP = env_bool("HUB_WEBHOOK_ALLOW_HTTP", True)
# Webhook receivers on private or loopback addresses (127.0.0.1 in development and tests).
HUB_WEBHOOK_ALLOW_PRIVATE = env_bool("HUB_WEBHOOK_ALLOW_PRIVATE", True)
# Rate-limit counters of a test run never mix with those of a `make run` on the same Redis.
CACHES["default"]["KEY_PREFIX"] = "hub-test"  # noqa: F405

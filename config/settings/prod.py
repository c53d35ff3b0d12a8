"""Production: every secret and address comes from the environment, or the process stops.

DATABASE_URL and CELERY_BROKER_URL are required here even though base.py has embedded defaults:
a production hub that silently fell back to SQLite would lose letters on the next deploy.
"""

from pathlib import Path

from config.env import env_bool, env_int, env_list, env_str

from .base import *  # noqa: F403
from .base import database_from_url

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)
DATABASES = {"default": database_from_url(env_str("DATABASE_URL", required=True))}
env_str("CELERY_BROKER_URL", required=True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", required=True))
STATIC_ROOT = Path(env_str("STATIC_ROOT", required=True))
# Encrypts hosted agencies' private signing keys at rest; losing it loses those keys (docs/pki.md).
HUB_KEY_ENCRYPTION_KEY = env_str("HUB_KEY_ENCRYPTION_KEY", required=True)
# Webhooks carry letter metadata: https:// only, unless an operator decides otherwise.
HUB_WEBHOOK_ALLOW_HTTP = env_bool("HUB_WEBHOOK_ALLOW_HTTP", False)
# Webhook receivers on private or loopback addresses (127.0.0.1 in development and tests).
HUB_WEBHOOK_ALLOW_PRIVATE = env_bool("HUB_WEBHOOK_ALLOW_PRIVATE", False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True

"""Local development: `make run`. Debug on, a fixed key, the embedded defaults."""

import base64

from config.env import env_bool, env_str

from .base import *  # noqa: F403

# On unless DEBUG=0: the benchmark turns it off, as production has it (with DEBUG on, Django
# keeps and formats every SQL statement, which costs more than some of the statements).
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
# INSECURE, dev only: a fixed, published key for the private keys of the demo agencies.
HUB_KEY_ENCRYPTION_KEY = env_str(
    "HUB_KEY_ENCRYPTION_KEY", base64.b64encode(b"INSECURE-dev-only-key-encryption").decode()
)
# Local webhook receivers (a script on 127.0.0.1) speak plain HTTP.
HUB_WEBHOOK_ALLOW_HTTP = env_bool("HUB_WEBHOOK_ALLOW_HTTP", True)
# Webhook receivers on private or loopback addresses (127.0.0.1 in development and tests).
HUB_WEBHOOK_ALLOW_PRIVATE = env_bool("HUB_WEBHOOK_ALLOW_PRIVATE", True)

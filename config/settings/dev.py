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

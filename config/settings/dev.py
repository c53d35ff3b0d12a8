"""Local development: `make run`. Debug on, a fixed key, the embedded defaults."""

from config.env import env_str

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")

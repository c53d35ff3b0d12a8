"""Read settings from the process environment.

Production settings call these with ``required=True`` so a missing value stops the process at
start-up with a message that names the variable, instead of running with a silent default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    """Return the variable's value, its default, or fail when it is required and unset."""
    value = os.environ.get(name)
    if value is not None and value.strip() != "":
        return value
    if required:
        raise ImproperlyConfigured(f"Set the environment variable {name}: it is required here.")
    if default is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}: it has no default.")
    return default


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean; refuse anything that is not clearly yes or no."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_list(name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    raw = os.environ.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if items:
        return items
    if required:
        raise ImproperlyConfigured(f"Set the environment variable {name}: it is required here.")
    return list(default or [])

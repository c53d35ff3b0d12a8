"""Absolute links in answers: a system follows a URL the hub gave it, never builds one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse


def absolute_url(context: Mapping[str, Any], name: str, **kwargs: Any) -> str:
    """Return the absolute URL of a named route for the request in a serializer's context."""
    path = reverse(name, kwargs=kwargs)
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path

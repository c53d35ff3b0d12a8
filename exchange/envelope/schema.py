"""The envelope XSD (docs/schema/), loaded once per thread (lxml validators are not shared)."""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

from .safe_xml import hardened_parser

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "schema" / "envelope-1.0.xsd"
_local = threading.local()


def envelope_schema() -> etree.XMLSchema:
    schema: etree.XMLSchema | None = getattr(_local, "schema", None)
    if schema is None:
        document = etree.fromstring(SCHEMA_PATH.read_bytes(), parser=hardened_parser())
        schema = etree.XMLSchema(document)
        _local.schema = schema
    return schema

"""Whole-document copies for signxml, made by lxml instead of serialise + parse.

signxml copies trees by serialising and re-parsing them (``_fromstring(_tostring(node))``),
because a deep copy of an element inside a document can lose namespace declarations that it
inherits from its ancestors, and canonicalization depends on them. Verifying one envelope
copies the whole document five times that way (the input, once per reference, once more for
the enveloped-signature transform); signing copies it twice. On a circular's envelope, which
carries the whole distribution list, that round trip was most of the cost of a delivery.

The root of a document has no ancestors to inherit from, and lxml's deep copy of it is exact:
the same namespace declarations, attributes, text and order (our parser keeps no CDATA,
entities or DTD that a re-parse could treat differently). So for document roots, and only for
them, the round trip becomes a deep copy done in C. Every other node (a signature, the signed
properties) still goes through signxml's own serialise + parse.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree


class _RootToCopy:
    """Stands for "the serialisation of this document root": signxml only ever parses it back.

    Deliberately not bytes: if signxml ever used it as bytes, that would fail loudly instead of
    hashing or parsing the wrong thing.
    """

    __slots__ = ("root",)

    def __init__(self, root: etree._Element) -> None:
        self.root = root


def _is_document_root(node: Any) -> bool:
    return (
        isinstance(node, etree._Element)
        and node.getparent() is None
        and node.getroottree().getroot() is node
    )


class DocumentCopies:
    """Mix into a signxml signer or verifier (before it) to copy document roots with lxml.

    Every ``_tostring`` call in signxml 5.2 is immediately parsed back with ``_fromstring``
    (a copy); the pair is what changes here, for document roots only.
    """

    def _tostring(self, xml_node: Any, **kwargs: Any) -> Any:
        if not kwargs and _is_document_root(xml_node):
            return _RootToCopy(xml_node)
        return super()._tostring(xml_node, **kwargs)  # type: ignore[misc]

    def _fromstring(self, xml_string: Any, **kwargs: Any) -> Any:
        if isinstance(xml_string, _RootToCopy):
            return copy.deepcopy(xml_string.root)
        return super()._fromstring(xml_string, **kwargs)  # type: ignore[misc]

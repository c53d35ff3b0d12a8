"""The one XML parser every entry point of the hub uses.

No DTD is loaded or allowed, no entity is expanded, nothing is fetched from the network, and
libxml2's "huge tree" switch stays off. Size is checked before parsing and depth after, so a
hostile document costs at most ``max_bytes`` of parsing and never a billion-laughs expansion.
"""

from __future__ import annotations

from lxml import etree

from .errors import (
    CommentsForbidden,
    DtdForbidden,
    Malformed,
    SchemaInvalid,
    TooDeep,
    TooLarge,
    XIncludeForbidden,
)

XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
# xsi:schemaLocation and friends ask the reader to fetch or switch schemas; XSD 1.0 cannot
# forbid them, so the parser does.
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"


def hardened_parser() -> etree.XMLParser:
    """Return a fresh parser with every dangerous feature off (parsers are not thread-safe)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )


def parse_xml(data: bytes, *, max_bytes: int, max_depth: int) -> etree._Element:
    """Parse untrusted bytes into an element tree, or raise the reason with its code.

    Comments and processing instructions are refused rather than stripped: a comment inside a
    signed value does not change the canonical form, so it can hide text from naive readers.
    """
    if len(data) > max_bytes:
        raise TooLarge(details={"max_bytes": max_bytes, "size": len(data)})
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DtdForbidden()
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise Malformed(details={"error": str(exc)[:300]}) from exc
    if root.getroottree().docinfo.doctype:
        raise DtdForbidden()
    for node in root.iter():
        if not isinstance(node.tag, str):
            raise CommentsForbidden()
        if etree.QName(node).namespace in XINCLUDE_NAMESPACES:
            raise XIncludeForbidden()
        if any(etree.QName(name).namespace == XSI_NAMESPACE for name in node.attrib):
            raise SchemaInvalid(details={"reason": "xsi attributes are not allowed"})
    if any(True for _ in root.itersiblings(preceding=True)) or any(
        True for _ in root.itersiblings()
    ):
        # Comments or processing instructions before or after the root element.
        raise CommentsForbidden()
    depth = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > max_depth:
            raise TooDeep(details={"max_depth": max_depth})
    return root

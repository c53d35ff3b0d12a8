"""The one XML parser every entry point of the hub uses.

No DTD is loaded or allowed, no entity is expanded, nothing is fetched from the network, and
libxml2's "huge tree" switch stays off. Size is checked before parsing and depth after, so a
hostile document costs at most ``max_bytes`` of parsing and never a billion-laughs expansion.
"""

from __future__ import annotations

import threading

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


class _RefuseExternal(etree.Resolver):
    """Answer every request for an external resource (DTD subset, entity, schema) with nothing.

    libxml2 still opens local files named in an external subset even with load_dtd=False;
    this resolver makes sure no file or URL is ever read, whatever slips past the checks.
    """

    def resolve(self, url: str, pubid: str, context: object) -> object:
        return self.resolve_string("", context)


def hardened_parser() -> etree.XMLParser:
    """Return a fresh parser with every dangerous feature off (parsers are not thread-safe).

    The encoding is fixed to UTF-8, as the profile requires: a UTF-16 or UTF-32 document could
    otherwise carry a DTD past the byte-level check below.
    """
    parser = etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


# Byte-order marks of UTF-16 and UTF-32; a UTF-8 BOM is harmless and allowed.
_NON_UTF8_MARKS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def parse_xml(data: bytes, *, max_bytes: int, max_depth: int) -> etree._Element:
    """Parse untrusted bytes into an element tree, or raise the reason with its code.

    Comments and processing instructions are refused rather than stripped: a comment inside a
    signed value does not change the canonical form, so it can hide text from naive readers.
    """
    if len(data) > max_bytes:
        raise TooLarge(details={"max_bytes": max_bytes, "size": len(data)})
    if data.startswith(_NON_UTF8_MARKS) or b"\x00" in data[:4]:
        raise Malformed(details={"reason": "envelopes are UTF-8"})
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DtdForbidden()
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):
            raise TooDeep(details={"max_depth": max_depth}) from exc
        # Position only: libxml2's message may quote content (even of files it tried to read).
        raise Malformed(details={"line": exc.lineno, "column": exc.offset}) from exc
    if root.getroottree().docinfo.doctype:
        raise DtdForbidden()
    _refuse_forbidden_nodes(root)
    if any(True for _ in root.itersiblings(preceding=True)) or any(
        True for _ in root.itersiblings()
    ):
        # Comments or processing instructions before or after the root element.
        raise CommentsForbidden()
    if _deeper_than(root, max_depth):
        raise TooDeep(details={"max_depth": max_depth})
    return root


# Walking every node in Python cost more than parsing; both searches below run in libxml2.
# Comments, processing instructions, entity references and XInclude elements are matched by
# lxml's C-level tag filter; an attribute in the xsi namespace needs XPath.
_REFUSED_NODES = (
    etree.Comment,
    etree.ProcessingInstruction,
    etree.Entity,
    *(f"{{{namespace}}}*" for namespace in XINCLUDE_NAMESPACES),
)
_XSI_HOLDER = "(descendant-or-self::*[@*[namespace-uri() = $xsi]])[1]"
_local = threading.local()


def compiled_xpath(expression: str) -> etree.XPath:
    """Compile once per thread (lxml's XPath objects are not meant to be shared across them)."""
    cache: dict[str, etree.XPath] = _local.__dict__.setdefault("xpaths", {})
    compiled = cache.get(expression)
    if compiled is None:
        compiled = cache[expression] = etree.XPath(expression)
    return compiled


def _refuse_forbidden_nodes(root: etree._Element) -> None:
    """Refuse the first forbidden node in document order (which error a document with several
    faults gets depends on that order, as it did when every node was visited in turn)."""
    refused = next(root.iter(*_REFUSED_NODES), None)
    found = compiled_xpath(_XSI_HOLDER)(root, xsi=XSI_NAMESPACE)
    xsi_holder = found[0] if isinstance(found, list) and found else None
    if refused is not None and xsi_holder is not None:
        # Rare (a document with both faults): keep whichever comes first.
        # One node can be both (an XInclude element with an xsi attribute): XInclude it is.
        first = next(node for node in root.iter() if node is refused or node is xsi_holder)
        if first is not refused:
            refused = None
    if refused is None:
        if xsi_holder is not None:
            raise SchemaInvalid(details={"reason": "xsi attributes are not allowed"})
        return
    if not isinstance(refused.tag, str):
        raise CommentsForbidden()
    raise XIncludeForbidden()


def _deeper_than(root: etree._Element, max_depth: int) -> bool:
    """Say whether an element lies more than ``max_depth`` levels deep (the root is level 1)."""
    if max_depth < 1:
        return True
    return bool(compiled_xpath("boolean(" + "/".join(["*"] * max_depth) + ")")(root))

# ruff: noqa: E501  (hostile documents are literal strings; splitting them hides what they are)
"""A corpus of hostile XML documents for every XML entry point of the hub.

Each entry is (name, build, expected code prefix); ``build(good, bait)`` returns the bytes to
post. ``good`` is a freshly signed, valid envelope (ETDA's letter to SOC); ``bait`` names the
traps the test watches: a local HTTP listener that must receive nothing and a FIFO whose
opening for reading the test would notice (so "never reads a file" is observed, not assumed).

The signature-wrapping variants come from tests/exchange/test_envelope_attacks.py (where the
verifier's exact codes are asserted); here every document goes over HTTP.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from exchange.envelope.xml_build import tag
from tests.exchange.test_envelope_attacks import WRAPPING, _bytes, _subject, _tree, ds


@dataclass(frozen=True)
class Bait:
    url: str  # the listener, e.g. http://127.0.0.1:40123
    fifo: str  # a named pipe on disk


Build = Callable[[bytes, Bait], bytes]
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ROOT = b'<Envelope xmlns="urn:th:saraban-hub:envelope:1.0">'


def _doc(doctype: str, body: str = "&e;") -> Build:
    def build(good: bytes, bait: Bait) -> bytes:
        text = doctype.format(url=bait.url, fifo=bait.fifo)
        return PROLOG + text.encode() + ROOT + f"<Header>{body}</Header>".encode() + b"</Envelope>"

    return build


def _after_root_open(fragment: str) -> Build:
    """The good envelope with hostile markup as the first child of its root."""

    def build(good: bytes, bait: Bait) -> bytes:
        text = fragment.format(url=bait.url, fifo=bait.fifo).encode()
        start = good.index(b">", good.index(b"<Envelope")) + 1
        return good[:start] + text + good[start:]

    return build


def _with_doctype(doctype: str) -> Build:
    """The good, signed envelope with a DOCTYPE put in front of it."""

    def build(good: bytes, bait: Bait) -> bytes:
        body = good.split(b"?>", 1)[1] if good.startswith(b"<?xml") else good
        return PROLOG + doctype.format(url=bait.url, fifo=bait.fifo).encode() + body

    return build


def _subject_replaced(old: str, new: str) -> Build:
    """Change the signed subject after signing, with look-alike Thai text."""

    def build(good: bytes, bait: Bait) -> bytes:
        root = _tree(good)
        subject = _subject(root)
        original = subject.text or ""
        changed = original.replace(old, new, 1) if old in original else new + original
        subject.text = changed
        return _bytes(root)

    return build


def _root_attribute(name: str, value: str) -> Build:
    def build(good: bytes, bait: Bait) -> bytes:
        root = _tree(good)
        root.set(name, value.format(url=bait.url))
        return _bytes(root)

    return build


def _signature_removed(good: bytes, bait: Bait) -> bytes:
    root = _tree(good)
    root.remove(root.find(ds("Signature")))
    return _bytes(root)


def _signature_value_flipped(good: bytes, bait: Bait) -> bytes:
    root = _tree(good)
    value = root.find(f"{ds('Signature')}/{ds('SignatureValue')}")
    text = (value.text or "").strip()
    value.text = ("A" if text[:1] != "A" else "B") + text[1:]
    return _bytes(root)


def _deep(depth: int) -> Build:
    def build(good: bytes, bait: Bait) -> bytes:
        return PROLOG + ROOT + b"<x>" * depth + b"</x>" * depth + b"</Envelope>"

    return build


def _oversize(good: bytes, bait: Bait) -> bytes:
    from django.conf import settings

    padding = b" " * (settings.HUB_ENVELOPE_MAX_BYTES + 1 - len(good))
    return good.replace(b"</Envelope>", padding + b"</Envelope>")


def _wide(good: bytes, bait: Bait) -> bytes:
    return PROLOG + ROOT + b"<x/>" * 200_000 + b"</Envelope>"


def _many_attributes(good: bytes, bait: Bait) -> bytes:
    attributes = b" ".join(b'a%d="x"' % n for n in range(50_000))
    return PROLOG + b'<Envelope xmlns="urn:th:saraban-hub:envelope:1.0" ' + attributes + b"/>"


def _cdata_subject(good: bytes, bait: Bait) -> bytes:
    root = _tree(good)
    subject = _subject(root)
    subject.text = etree.CDATA((subject.text or "") + "]]>")
    return _bytes(root)


def _letter_duplicated(good: bytes, bait: Bait) -> bytes:
    root = _tree(good)
    letter = root.find(tag("Letter"))
    letter.addnext(copy.deepcopy(letter))
    return _bytes(root)


def _constant(data: bytes) -> Build:
    return lambda good, bait: data


CORPUS: list[tuple[str, Build, str]] = [
    # DTDs and entities: refused before any entity is looked at.
    ("dtd-internal-entity", _doc('<!DOCTYPE Envelope [<!ENTITY e "ส่วนราชการ">]>'), "envelope."),
    (
        "billion-laughs",
        _doc(
            '<!DOCTYPE Envelope [<!ENTITY a "ฮ่าฮ่า"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
            '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
        ),
        "envelope.",
    ),
    (
        "quadratic-blowup",
        _doc('<!DOCTYPE Envelope [<!ENTITY a "' + "ก" * 20000 + '">]>', "&a;" * 2000),
        "envelope.",
    ),
    (
        "external-entity-file",
        _doc('<!DOCTYPE Envelope [<!ENTITY e SYSTEM "file://{fifo}">]>'),
        "envelope.",
    ),
    (
        "external-entity-passwd",
        _doc('<!DOCTYPE Envelope [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
        "envelope.",
    ),
    (
        "external-entity-http",
        _doc('<!DOCTYPE Envelope [<!ENTITY e SYSTEM "{url}/xxe">]>'),
        "envelope.",
    ),
    (
        "parameter-entity-http",
        _doc('<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "{url}/param.dtd"> %p;]>', "x"),
        "envelope.",
    ),
    (
        "parameter-entity-file",
        _doc('<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "file://{fifo}"> %p;]>', "x"),
        "envelope.",
    ),
    (
        "parameter-entity-nested",
        _doc(
            "<!DOCTYPE Envelope [<!ENTITY % a \"<!ENTITY &#x25; b SYSTEM '{url}/nested'>\"> %a; %b;]>",
            "x",
        ),
        "envelope.",
    ),
    (
        "external-subset-http",
        _doc('<!DOCTYPE Envelope SYSTEM "{url}/subset.dtd">', "x"),
        "envelope.",
    ),
    ("external-subset-file", _doc('<!DOCTYPE Envelope SYSTEM "file://{fifo}">', "x"), "envelope."),
    (
        "public-identifier",
        _doc('<!DOCTYPE Envelope PUBLIC "-//ATTACK//DTD//EN" "{url}/public.dtd">', "x"),
        "envelope.",
    ),
    (
        "entity-in-attribute",
        _doc('<!DOCTYPE Envelope [<!ENTITY e "x">]>', '<a b="&e;"/>'),
        "envelope.",
    ),
    (
        "doctype-on-signed-envelope",
        _with_doctype('<!DOCTYPE Envelope [<!ENTITY e "x">]>'),
        "envelope.",
    ),
    (
        "doctype-external-on-signed-envelope",
        _with_doctype('<!DOCTYPE Envelope SYSTEM "{url}/signed.dtd">'),
        "envelope.",
    ),
    # XInclude and schema locations.
    (
        "xinclude-file",
        _after_root_open(
            '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{fifo}" parse="text"/>'
        ),
        "envelope.",
    ),
    (
        "xinclude-http",
        _after_root_open(
            '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{url}/xi"/>'
        ),
        "envelope.",
    ),
    (
        "xinclude-2003",
        _after_root_open(
            '<xi:include xmlns:xi="http://www.w3.org/2003/XInclude" href="{url}/xi3"/>'
        ),
        "envelope.",
    ),
    (
        "xsi-schema-location",
        _root_attribute(
            "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation",
            "urn:th:saraban-hub:envelope:1.0 {url}/evil.xsd",
        ),
        "envelope.",
    ),
    (
        "xsi-no-namespace-schema-location",
        _root_attribute(
            "{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation", "{url}/evil.xsd"
        ),
        "envelope.",
    ),
    # Signature wrapping (XSW 1–8 and friends) on the real signed envelope.
    *[
        (f"xsw-{name.lower()}", (lambda w: lambda good, bait: w(good))(wrap), "envelope.")
        for name, wrap, _code in WRAPPING
    ],
    ("signature-removed", _signature_removed, "envelope."),
    ("signature-value-flipped", _signature_value_flipped, "envelope."),
    ("letter-duplicated", _letter_duplicated, "envelope."),
    # Comments and processing instructions.
    (
        "comment-in-subject",
        _subject_replaced("ข้อเสนอ", "ข้อ<!--ไม่-->เสนอ"),  # escaped by lxml: breaks the digest
        "envelope.",
    ),
    ("comment-injected", _after_root_open("<!-- ความเห็นที่แทรกเข้ามา -->"), "envelope."),
    ("processing-instruction", _after_root_open("<?evil run?>"), "envelope."),
    # Thai normalisation tricks in signed values: look alike, are not the signed bytes.
    ("thai-sara-am-decomposed", _subject_replaced("ำ", "\u0e4d\u0e32"), "envelope."),
    ("thai-tone-mark-reordered", _subject_replaced("ที่", "ท\u0e48\u0e35"), "envelope."),
    ("thai-zero-width-space", _subject_replaced("ปรับปรุง", "ปรับ\u200bปรุง"), "envelope."),
    ("thai-digits-swapped", _subject_replaced("ระบบ", "ระบบ ๕๐ ล้านบาท"), "envelope."),
    ("cdata-subject", _cdata_subject, "envelope."),
    # Size, shape and encoding.
    ("oversize", _oversize, "envelope."),
    ("deep-nesting", _deep(10_000), "envelope."),
    ("wide-document", _wide, "envelope."),
    ("attribute-bomb", _many_attributes, "envelope."),
    (
        "malformed-utf8",
        _constant(PROLOG + ROOT + b"<Header>\xe0\xb8</Header></Envelope>"),
        "envelope.",
    ),
    (
        "overlong-utf8",
        _constant(PROLOG + ROOT + b"<Header>\xc0\xbc</Header></Envelope>"),
        "envelope.",
    ),
    (
        "utf16-document",
        _constant('<?xml version="1.0" encoding="UTF-16"?><Envelope/>'.encode("utf-16")),
        "envelope.",
    ),
    (
        "latin1-declared",
        _constant(
            b'<?xml version="1.0" encoding="ISO-8859-1"?>'
            + ROOT
            + b"<Header>\xe9</Header></Envelope>"
        ),
        "envelope.",
    ),
    ("not-xml", _constant("หนังสือราชการ ไม่ใช่ XML".encode()), "envelope."),
    ("empty-body", _constant(b""), "envelope."),
    ("json-body", _constant(b'{"Envelope": {"Header": {}}}'), "envelope."),
    ("html-body", _constant(b"<html><body><script>alert(1)</script></body></html>"), "envelope."),
    ("unclosed-root", _constant(PROLOG + ROOT + b"<Header>"), "envelope."),
    (
        "wrong-namespace",
        _constant(PROLOG + b'<Envelope xmlns="urn:attacker"><Header/></Envelope>'),
        "envelope.",
    ),
    ("no-namespace", _constant(PROLOG + b"<Envelope><Header/></Envelope>"), "envelope."),
]

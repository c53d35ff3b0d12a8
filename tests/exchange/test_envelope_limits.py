"""Limits and policy checks of the verifier, and attachment bytes against the signed manifest.

Each hostile input is built from a good signed envelope where there is one to start from, and
each refusal is asserted by its stable code. Pure: no database.

=================================================================  ================================
case                                                               code
=================================================================  ================================
one byte over ``VerificationPolicy.max_bytes``; > 10 MiB default   envelope.too_large
nesting one level over the depth cap (65 > 64), or a small cap     envelope.too_deep
truncated, invalid UTF-8, mismatched tags, two roots, a raw "&",   envelope.malformed
a NUL byte, empty, not XML at all
addressed to an agency this endpoint does not serve                envelope.wrong_recipient
created 11 minutes in the past or the future (9 minutes passes)    envelope.clock_skew
ลับที่สุด (Secrecy 004)                                              envelope.top_secret_refused
a sender that is not in the directory                              envelope.unknown_sender
letter header + Acknowledgement, receipt header + Letter,          envelope.type_mismatch
registration header + Receipt
an attachment missing / unexpected / one byte altered /            envelope.attachment_missing,
truncated / longer                                                 …_unexpected,
                                                                   …_digest_mismatch,
                                                                   …_size_mismatch
a 200 MiB attachment, streamed: verified with a flat memory peak   (accepted, peak < 8 MiB)
=================================================================  ================================

Nesting deeper than libxml2's own limit (256) is also answered ``envelope.too_deep``.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import time
import tracemalloc
from collections.abc import Iterable, Iterator

import pytest
from lxml import etree

from agencies.pki.issuing import IssuedCertificate, issue_certificate, make_ca
from agencies.pki.validation import TrustMaterial
from exchange.envelope import (
    EnvelopeRejected,
    ManifestEntry,
    MessageType,
    Party,
    VerificationPolicy,
    attachments_verify,
    envelope_sign,
    envelope_to_xml,
    envelope_verify,
    sign_tree,
)
from exchange.envelope.safe_xml import parse_xml
from exchange.envelope.xml_build import tag

from .conftest import (
    ETDA,
    SOC,
    MemoryDirectory,
    Pki,
    acknowledgement_envelope,
    letter_envelope,
    now,
)

MiB = 1024 * 1024
PDF = "%PDF-1.7\nหนังสือ ที่ ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕ เรื่อง ข้อเสนอในการปรับปรุงการออกเอกสาร\n%%EOF\n"
XLSX = "PK\x03\x04 บัญชีรายชื่อหน่วยงานนำร่อง ๒๐ หน่วยงาน ๕๗ ใบอนุญาต"
FILES = {"main-1": PDF.encode(), "enclosure-1": XLSX.encode()}
MANIFEST = (
    ManifestEntry(
        attachment_id="main-1",
        role="main",
        name="ดศ-สพขอ-511.04-0335.pdf",
        media_type="application/pdf",
        size=len(FILES["main-1"]),
        sha256=hashlib.sha256(FILES["main-1"]).hexdigest(),
    ),
    ManifestEntry(
        attachment_id="enclosure-1",
        role="enclosure",
        name="บัญชีหน่วยงานนำร่อง.xlsx",
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        size=len(FILES["enclosure-1"]),
        sha256=hashlib.sha256(FILES["enclosure-1"]).hexdigest(),
        description="สิ่งที่ส่งมาด้วย ๑",
    ),
)


def _good(pki: Pki, **fields) -> bytes:
    return envelope_sign(
        letter_envelope(**fields), key=pki.etda.private_key, certificate=pki.etda.certificate
    )


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)  # test-side: our own, freshly signed bytes


def _bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"))


def _refusal(data: bytes, directory: MemoryDirectory, **options) -> EnvelopeRejected:
    options.setdefault("now", now())
    with pytest.raises(EnvelopeRejected) as raised:
        envelope_verify(data, directory=directory, **options)
    return raised.value


# --------------------------------------------------------------------------- size


def test_one_byte_over_max_bytes_is_too_large(pki):
    data = _good(pki)

    refusal = _refusal(data, pki.directory(), policy=VerificationPolicy(max_bytes=len(data) - 1))

    assert refusal.code == "envelope.too_large"
    assert refusal.details == {"max_bytes": len(data) - 1, "size": len(data)}
    # Exactly at the cap is fine.
    envelope_verify(
        data, directory=pki.directory(), now=now(), policy=VerificationPolicy(max_bytes=len(data))
    )


def test_the_default_cap_refuses_a_good_envelope_padded_past_10_mib_before_parsing(pki):
    data = _good(pki)
    # Whitespace after the root element is well-formed and outside the signature: only the
    # size cap can refuse this document, and it must do so before any parsing.
    padded = data + b"\n" * (10 * MiB + 1 - len(data))

    started = time.monotonic()
    refusal = _refusal(padded, pki.directory())

    assert refusal.code == "envelope.too_large"
    assert time.monotonic() - started < 1.0


# --------------------------------------------------------------------------- depth


def _nested(pki: Pki, levels: int) -> bytes:
    """Nest ``levels`` foreign elements inside the Letter (depth 2 + levels)."""
    root = _tree(_good(pki))
    element = root.find(tag("Letter"))
    for _ in range(levels):
        element = etree.SubElement(element, "{urn:example:attacker}level")
    return _bytes(root)


def test_nesting_one_level_past_the_depth_cap_is_too_deep(pki):
    # Envelope (1) / Letter (2) / 62 more = 64: at the cap, so parsing passes and the added
    # elements then break the digest.
    assert _refusal(_nested(pki, 62), pki.directory()).code == "envelope.signature_invalid"

    refusal = _refusal(_nested(pki, 63), pki.directory())

    assert refusal.code == "envelope.too_deep"
    assert refusal.details == {"max_depth": 64}


def test_a_policy_depth_cap_applies_to_the_signature_too(pki):
    # ds:Signature/ds:Object/…/ds:DigestMethod is 10 levels deep in the hub's XAdES shape.
    refusal = _refusal(_good(pki), pki.directory(), policy=VerificationPolicy(max_depth=8))

    assert refusal.code == "envelope.too_deep"


@pytest.mark.parametrize(
    "levels",
    [
        100,
        10_000,
    ],
)
def test_deep_nesting_is_too_deep_and_fast(pki, levels):
    hostile = _nested(pki, levels)

    started = time.monotonic()
    refusal = _refusal(hostile, pki.directory())

    assert time.monotonic() - started < 1.0
    assert refusal.code == "envelope.too_deep"


# --------------------------------------------------------------------------- well-formedness


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _invalid_utf8(data: bytes) -> bytes:
    # A Thai character cut after its lead bytes, followed by a byte UTF-8 never uses.
    return data.replace("ข้อเสนอ".encode(), "ข้อเสนอ".encode()[:2] + b"\xff", 1)


def _mismatched_tag(data: bytes) -> bytes:
    return data.replace(b"</Subject>", b"</Subjectx>", 1)


def _two_roots(data: bytes) -> bytes:
    return data + '<Envelope xmlns="urn:th:saraban-hub:envelope:1.0">ปลอม</Envelope>'.encode()


def _raw_ampersand(data: bytes) -> bytes:
    return data.replace("สำนักกฎหมาย".encode(), "สำนักกฎหมาย & ที่ปรึกษา".encode(), 1)


def _nul_byte(data: bytes) -> bytes:
    return data.replace("เรียน".encode(), "เรียน".encode() + b"\x00", 1)


def _empty(data: bytes) -> bytes:
    return b""


def _not_xml(data: bytes) -> bytes:
    return PDF.encode()


@pytest.mark.parametrize(
    "damage",
    [
        _truncated,
        _invalid_utf8,
        _mismatched_tag,
        _two_roots,
        _raw_ampersand,
        _nul_byte,
        _empty,
        _not_xml,
    ],
)
def test_bytes_that_are_not_well_formed_xml_are_malformed(pki, damage):
    hostile = damage(_good(pki))

    assert _refusal(hostile, pki.directory()).code == "envelope.malformed"


# --------------------------------------------------------------------------- header policy


def test_an_envelope_for_an_agency_this_endpoint_does_not_serve_is_refused(pki):
    refusal = _refusal(_good(pki), pki.directory(served={"etda", "dga"}))

    assert refusal.code == "envelope.wrong_recipient"
    assert refusal.details == {"recipient": "soc"}


@pytest.fixture(scope="module")
def established(pki: Pki) -> tuple[IssuedCertificate, MemoryDirectory]:
    """A CA and an ETDA certificate that have existed for a month (ETDA's key, reused).

    The session CA starts five minutes before the session, so an envelope "created 11 minutes
    ago" would fail its certificate (pki.not_yet_valid) before the clock check is reached.
    """
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    ca = make_ca("Saraban Hub Test CA (established)", valid_from=since)
    etda = issue_certificate(
        ca,
        common_name="สพธอ. signer",
        organization=ETDA.name_th,
        key=pki.etda.private_key,
        valid_from=since,
    )
    directory = pki.directory(
        certificates={"etda": [etda.certificate]},
        trust=TrustMaterial(anchors=(ca.certificate,)),
    )
    return etda, directory


@pytest.mark.parametrize(
    ("minutes", "accepted"),
    [(-11, False), (11, False), (-9, True), (9, True)],
    ids=["11-min-past", "11-min-future", "9-min-past", "9-min-future"],
)
def test_created_at_must_be_within_the_clock_skew_window(established, minutes, accepted):
    etda, directory = established
    moment = now()
    envelope = letter_envelope(created_at=moment + datetime.timedelta(minutes=minutes))
    data = envelope_sign(envelope, key=etda.private_key, certificate=etda.certificate)

    if accepted:
        verified = envelope_verify(data, directory=directory, now=moment)
        assert verified.envelope == envelope
        return
    refusal = _refusal(data, directory, now=moment)
    assert refusal.code == "envelope.clock_skew"


def test_a_top_secret_letter_is_refused(pki):
    refusal = _refusal(_good(pki, secrecy="004"), pki.directory())

    assert refusal.code == "envelope.top_secret_refused"


def test_a_very_secret_letter_in_the_clear_is_refused_by_the_secrecy_policy(pki):
    # ลับที่สุด (004) never travels; ลับมาก (003) travels only as an EncryptedLetter
    # (tests/security/test_secret_letters.py has the encrypted ones).
    refusal = _refusal(_good(pki, secrecy="003"), pki.directory())

    assert refusal.code == "envelope.secret_not_encrypted"


def test_a_sender_that_is_not_in_the_directory_is_unknown(pki):
    dlt = Party("dlt", "กรมการขนส่งทางบก", "07", "07004")
    hostile = _good(pki, sender=dlt)

    refusal = _refusal(hostile, pki.directory())

    assert refusal.code == "envelope.unknown_sender"
    assert refusal.details == {"sender": "dlt"}


def _retyped(root: etree._Element, message_type: str) -> etree._Element:
    root.find(f"{tag('Header')}/{tag('MessageType')}").text = message_type
    return root


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda: _retyped(
                envelope_to_xml(
                    acknowledgement_envelope(MessageType.RECEIPT, sender=ETDA, recipient=SOC)
                ),
                "letter",
            ),
            id="letter-header-acknowledgement-body",
        ),
        pytest.param(
            lambda: _retyped(envelope_to_xml(letter_envelope()), "receipt"),
            id="receipt-header-letter-body",
        ),
        pytest.param(
            lambda: _retyped(
                envelope_to_xml(
                    acknowledgement_envelope(MessageType.RECEIPT, sender=ETDA, recipient=SOC)
                ),
                "registration",
            ),
            id="registration-header-receipt-detail",
        ),
    ],
)
def test_a_message_type_that_does_not_match_the_content_is_refused(pki, build):
    # The schema does not tie MessageType to the body, so the signer (sign_tree validates against
    # the schema) signs it; the verifier's type check must refuse it.
    data = sign_tree(build(), key=pki.etda.private_key, certificate=pki.etda.certificate)

    assert _refusal(data, pki.directory()).code == "envelope.type_mismatch"


# --------------------------------------------------------------------------- attachments


@pytest.fixture
def signed_manifest(pki) -> tuple[ManifestEntry, ...]:
    """The manifest as it comes out of a verified envelope: what the signature covers."""
    data = _good(pki, manifest=MANIFEST)
    return envelope_verify(data, directory=pki.directory(), now=now()).envelope.manifest


def _streams(files: dict[str, bytes]) -> dict[str, io.BytesIO]:
    return {name: io.BytesIO(content) for name, content in files.items()}


def test_the_attachments_of_the_manifest_verify(signed_manifest):
    assert signed_manifest == MANIFEST

    attachments_verify(signed_manifest, _streams(FILES))


def _altered(content: bytes) -> bytes:
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1 :]


@pytest.mark.parametrize(
    ("files", "code"),
    [
        pytest.param({"main-1": FILES["main-1"]}, "envelope.attachment_missing", id="missing"),
        pytest.param(
            {**FILES, "enclosure-2": "ไฟล์ที่ไม่ได้ระบุไว้".encode()},
            "envelope.attachment_unexpected",
            id="unexpected",
        ),
        pytest.param(
            {**FILES, "main-1": _altered(FILES["main-1"])},
            "envelope.attachment_digest_mismatch",
            id="one-byte-altered",
        ),
        pytest.param(
            {**FILES, "main-1": FILES["main-1"][:-1]},
            "envelope.attachment_size_mismatch",
            id="truncated",
        ),
        pytest.param(
            {**FILES, "enclosure-1": FILES["enclosure-1"] + "ต่อท้าย".encode()},
            "envelope.attachment_size_mismatch",
            id="longer",
        ),
    ],
)
def test_attachment_bytes_that_differ_from_the_signed_manifest_are_refused(
    signed_manifest, files, code
):
    with pytest.raises(EnvelopeRejected) as raised:
        attachments_verify(signed_manifest, _streams(files))

    assert raised.value.code == code


LARGE_SIZE = 200 * MiB
BLOCK = ("หนังสือราชการ ฉบับที่ ๑๒๓ สิ่งที่ส่งมาด้วย " * 2000).encode()[: 64 * 1024]


def _large_blocks() -> Iterator[bytes]:
    """200 MiB, produced on the fly: every 64 KiB block is numbered, so none repeats."""
    for index in range(LARGE_SIZE // len(BLOCK)):
        yield BLOCK[:-8] + index.to_bytes(8, "big")


class GeneratedStream(io.RawIOBase):
    """A raw, read-only stream over a generator of chunks: the file never exists whole."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pending:
            self._pending = memoryview(next(self._chunks, b""))
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def test_a_200_mib_attachment_streams_through_with_flat_memory(pki):
    assert len(BLOCK) == 64 * 1024
    digest = hashlib.sha256()
    for block in _large_blocks():
        digest.update(block)
    entry = ManifestEntry(
        attachment_id="main-1",
        role="main",
        name="รายงานผลการดำเนินงาน ปีงบประมาณ ๒๕๖๓ (ฉบับเต็ม).pdf",
        media_type="application/pdf",
        size=LARGE_SIZE,
        sha256=digest.hexdigest(),
    )
    signed = envelope_verify(
        _good(pki, manifest=(entry,)), directory=pki.directory(), now=now()
    ).envelope.manifest

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        attachments_verify(signed, {"main-1": GeneratedStream(_large_blocks())})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
XI = 'xmlns:xi="http://www.w3.org/2001/XInclude"'


@pytest.mark.parametrize(
    ("document", "code"),
    [
        # Several faults in one document: the first in document order names the refusal.
        (f'<a {XSI}><b xsi:type="x"/><!-- c --></a>', "envelope.schema_invalid"),
        (f'<a {XSI}><!-- c --><b xsi:type="x"/></a>', "envelope.comments_forbidden"),
        (f'<a {XSI} {XI}><xi:include href="x" xsi:type="y"/></a>', "envelope.xinclude_forbidden"),
        (
            f'<a {XSI} {XI}><b xsi:type="y"><xi:include href="x"/></b></a>',
            "envelope.schema_invalid",
        ),
        (f'<a {XI}><b><?pi x?></b><xi:include href="x"/></a>', "envelope.comments_forbidden"),
        (f'<a {XSI} xsi:type="x"/>', "envelope.schema_invalid"),
        ("<a><b/></a>", None),
    ],
)
def test_the_parser_refuses_the_first_forbidden_node(document, code):
    if code is None:
        parse_xml(document.encode(), max_bytes=10_000, max_depth=8)
        return
    with pytest.raises(EnvelopeRejected) as caught:
        parse_xml(document.encode(), max_bytes=10_000, max_depth=8)
    assert caught.value.code == code

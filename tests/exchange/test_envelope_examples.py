"""docs/examples: every file verifies, a tampered copy does not, and none has gone stale."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from django.conf import settings
from django.core.management import CommandError, call_command
from lxml import etree

from exchange.directory import FileDirectory
from exchange.envelope import MessageType, envelope_verify
from exchange.envelope.xml_build import tag
from exchange.examples import CREATED_AT, examples_write

EXAMPLES = Path(settings.BASE_DIR) / "docs" / "examples"
AS_OF = "2026-11-29T02:05:00Z"
FILES = ["letter.xml", *(f"{t.value}.xml" for t in MessageType if t != MessageType.LETTER)]


def verify_command(path: Path, *extra: str, language: str = "en") -> tuple[str, int]:
    """Run envelope_verify offline against the example PKI; return (output, exit status)."""
    out = io.StringIO()
    try:
        call_command(
            "envelope_verify",
            str(path),
            "--ca",
            str(EXAMPLES / "ca.pem"),
            "--signer-cert",
            f"etda={EXAMPLES / 'etda.cert.pem'}",
            "--signer-cert",
            f"soc={EXAMPLES / 'soc.cert.pem'}",
            "--as-of",
            AS_OF,
            "--language",
            language,
            *extra,
            stdout=out,
        )
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


@pytest.mark.parametrize("name", FILES)
def test_every_committed_example_verifies(name):
    output, status = verify_command(EXAMPLES / name)

    assert status == 0, output
    assert "✓ Verified" in output


def test_the_letter_verifies_with_its_attachment_in_thai():
    output, status = verify_command(
        EXAMPLES / "letter.xml", "--attachments", str(EXAMPLES / "attachments"), language="th"
    )

    assert status == 0, output
    assert "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์ (etda)" in output
    assert "XAdES-BES" in output
    assert output.count("✓") == 12  # eleven checks and the verdict


def test_a_tampered_copy_fails_with_the_reason(tmp_path):
    tampered = tmp_path / "letter.xml"
    original = (EXAMPLES / "letter.xml").read_bytes()
    tampered.write_bytes(original.replace("ขอแสดงความนับถือ".encode(), "ด้วยความเคารพ".encode()))

    output, status = verify_command(tampered)

    assert status == 1
    assert "envelope.signature_invalid" in output
    assert "✓ Signature has the profile's shape" in output
    assert "✓ Verified" not in output


def test_a_swapped_attachment_fails_with_its_own_code(tmp_path):
    folder = tmp_path / "attachments"
    folder.mkdir()
    (folder / "main-1").write_bytes(b"%PDF-1.4 not the signed file")

    output, status = verify_command(EXAMPLES / "letter.xml", "--attachments", str(folder))

    assert status == 1
    assert "envelope.attachment_size_mismatch" in output


def _signed_content(path: Path) -> etree._Element:
    """The example without its signature and without the one value that depends on keys."""
    root = etree.fromstring(path.read_bytes())
    for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(signature)
    for digest in root.iter(tag("AcknowledgedEnvelopeSha256")):
        digest.text = "-"
    return root


@pytest.mark.parametrize("name", FILES)
def test_the_committed_examples_match_what_the_code_produces(tmp_path, name):
    examples_write(tmp_path)

    committed = etree.tostring(_signed_content(EXAMPLES / name), method="c14n")
    fresh = etree.tostring(_signed_content(tmp_path / name), method="c14n")
    assert committed == fresh, "docs/examples is stale: run `python manage.py envelope_examples`"
    assert (EXAMPLES / "attachments" / "main-1").read_bytes() == (
        tmp_path / "attachments" / "main-1"
    ).read_bytes()


def test_acknowledgements_name_the_exact_bytes_of_the_committed_letter():
    letter_sha256 = hashlib.sha256((EXAMPLES / "letter.xml").read_bytes()).hexdigest()
    for name in FILES[1:]:
        root = etree.fromstring((EXAMPLES / name).read_bytes())
        assert root.findtext(f".//{tag('AcknowledgedEnvelopeSha256')}") == letter_sha256


def test_examples_verify_without_the_command_too(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "copy")
    directory = FileDirectory(
        anchors=[x509.load_pem_x509_certificate((EXAMPLES / "ca.pem").read_bytes())],
        signers={
            "etda": [x509.load_pem_x509_certificate((EXAMPLES / "etda.cert.pem").read_bytes())]
        },
    )
    verified = envelope_verify(
        (tmp_path / "copy" / "letter.xml").read_bytes(), directory=directory, now=CREATED_AT
    )
    assert verified.envelope.letter is not None
    assert verified.envelope.letter.number.text == "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕"


def test_the_size_cap_is_a_setting(settings):
    settings.HUB_ENVELOPE_MAX_BYTES = 1000

    output, status = verify_command(EXAMPLES / "letter.xml")

    assert status == 1
    assert "envelope.too_large" in output

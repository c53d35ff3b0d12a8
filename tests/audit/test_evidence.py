"""Evidence bundles: exported for a delivered and registered letter, checked offline.

"Offline" is real here: the bundle is verified after the test database connection is blocked,
so a check that quietly read the database would fail. Any changed file must be named.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import AgencyRole
from audit.evidence.export import evidence_bundle_save
from audit.evidence.verify import EvidenceInvalid, evidence_bundle_verify
from audit.models import AuditEvent
from exchange.models import Delivery
from exchange.services.acknowledgements import incoming_letter_register
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from letters.models import Direction, Letter
from tests.conftest import make_user
from tests.exchange.test_delivery_flow import draft_to


@pytest.fixture
def registered_letter(request, etda, soc):
    request.getfixturevalue("hosted")
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    bob = make_user("bob", (soc, AgencyRole.CLERK))
    letter = draft_to(etda, soc, alice, subject="ขอเชิญประชุมคณะทำงาน ครั้งที่ ๓/๒๕๖๙")
    [delivery] = letter_send(letter=letter, actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    incoming_letter_register(letter=copy, actor=bob)
    registration = Delivery.objects.get(message_type="registration")
    assert delivery_attempt(delivery_id=registration.pk) == "delivered"
    return letter


@pytest.fixture
def bundle(registered_letter, tmp_path):
    path = tmp_path / "evidence.zip"
    evidence_bundle_save(letter=registered_letter, path=path)
    return path


def offline_verify(path: Path, django_db_blocker) -> list[str]:
    with django_db_blocker.block():
        return evidence_bundle_verify(str(path)).statements


def test_the_bundle_of_a_registered_letter_verifies_offline_and_says_what_it_proves(
    bundle, django_db_blocker
):
    statements = offline_verify(bundle, django_db_blocker)

    text = "\n".join(statements)
    assert "sealed by the hub key" in text
    assert "etda signed letter" in text
    assert "soc acknowledged receiving" in text
    assert "soc signed registration" in text and "(receive number 1)" in text
    assert "audit events" in text and "letters.letter.sent" in text
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        letter = json.loads(archive.read("letter.json"))
    assert {"manifest.json", "manifest.sig", "hub.pem", "audit/checkpoint.json"} <= names
    assert any(name.startswith("certificates/soc/") for name in names)
    assert letter["attachments"][0]["name"] == "หนังสือเชิญประชุม.pdf"


def _rewritten(path: Path, changed: str, change) -> Path:
    """Copy the zip with one member changed (and nothing else)."""
    out = path.with_name(f"tampered-{changed.replace('/', '_')}.zip")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == changed else data)
    return out


def _member(path: Path, prefix: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return next(n for n in archive.namelist() if n.startswith(prefix))


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("envelopes/", "changed (its SHA-256 differs from the manifest)"),
        ("receipts/", "changed (its SHA-256 differs from the manifest)"),
        ("audit/events.jsonl", "changed (its SHA-256 differs from the manifest)"),
        ("letter.json", "changed (its SHA-256 differs from the manifest)"),
        ("manifest.json", "the hub's signature over manifest.json does not verify"),
    ],
)
def test_any_changed_file_is_named(bundle, django_db_blocker, prefix, reason):
    name = _member(bundle, prefix)
    tampered = _rewritten(bundle, name, lambda data: data.replace(b"1", b"2", 1) + b" ")

    with pytest.raises(EvidenceInvalid) as caught:
        offline_verify(tampered, django_db_blocker)

    assert reason in str(caught.value)
    if name != "manifest.json":
        assert str(caught.value).startswith(name)


def test_an_envelope_changed_together_with_a_resealed_manifest_fails_its_signature(
    bundle, django_db_blocker, tmp_path
):
    """Someone with the hub's key could reseal the manifest; the agencies' signatures still
    hold the envelopes to what was sent."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from audit.checkpoints import hub_signing_key

    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    # The letter itself (the other envelopes are acknowledgements, named by random ids).
    name = next(
        n for n in files if n.startswith("envelopes/") and "ขอเชิญประชุม".encode() in files[n]
    )
    files[name] = files[name].replace("ขอเชิญประชุม".encode(), "ขอยกเลิกประชุม".encode(), 1)
    manifest = json.loads(files["manifest.json"])
    import hashlib

    manifest["files"][name] = hashlib.sha256(files[name]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    key, _pem = hub_signing_key()
    files["manifest.sig"] = key.sign(files["manifest.json"], ec.ECDSA(hashes.SHA256()))
    resealed = tmp_path / "resealed.zip"
    with zipfile.ZipFile(resealed, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)

    with pytest.raises(EvidenceInvalid) as caught:
        offline_verify(resealed, django_db_blocker)

    assert str(caught.value).startswith(f"{name}: envelope.")


def test_the_commands_export_and_verify(registered_letter, tmp_path):
    out = tmp_path / "bundle.zip"
    call_command(
        "evidence_export", str(registered_letter.pk), "--out", str(out), stdout=io.StringIO()
    )
    assert AuditEvent.objects.filter(action="audit.evidence.exported").exists()

    printed = io.StringIO()
    call_command("evidence_verify", str(out), stdout=printed)
    assert "evidence bundle verified" in printed.getvalue()

    with pytest.raises(CommandError) as caught:
        call_command("evidence_verify", str(out), "--expect-hub-key", "ab" * 32)
    assert "not the expected hub key" in str(caught.value)

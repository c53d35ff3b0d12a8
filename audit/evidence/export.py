"""Export one letter's evidence as a zip that can be checked without the hub (bundle format 1).

What goes in, for a letter as this hub holds it (an outgoing letter or an incoming copy):

* ``envelopes/`` every signed envelope about it: the letter as sent to each recipient or as
  received, and the acknowledgements both ways (registration, rejection, withdrawal, …);
* ``receipts/`` the signed receipt for each of those envelopes, named by the envelope's id;
* ``certificates/`` the signing certificates of the agencies involved (``<agency>/<sha256>.pem``),
  ``trust/`` the trust anchors and their CRLs;
* ``verification.json`` what the hub recorded when it verified what it received;
* ``letter.json`` the letter's register facts and its attachments' digests (not the files);
* ``audit/events.jsonl`` the audit events about the letter and its deliveries, with every
  chained field; ``audit/links.jsonl`` (sequence, prev_hash, hash) of every event from the
  first of those to the checkpoint; ``audit/checkpoint.json`` that checkpoint, signed;
* ``manifest.json`` the SHA-256 of every other file, and ``manifest.sig`` the hub's signature
  over it, with the hub's certificate in ``hub.pem``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency
from agencies.pki.selectors import agency_signing_certificates, trust_material
from audit.chain import CHAINED_FIELDS
from audit.checkpoints import audit_checkpoint_create, hub_signing_key
from audit.models import AuditCheckpoint, AuditEvent
from exchange.models import Delivery, InboundEnvelope
from letters.models import Letter

FORMAT = "saraban-evidence/1"


def _pem(certificate: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return certificate.public_bytes(serialization.Encoding.PEM)  # type: ignore[no-any-return]


class _Bundle:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def add_json(self, path: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        self.add(path, text.encode())


def _acknowledgements_received(deliveries: Iterable[Delivery]) -> list[InboundEnvelope]:
    """The recipients' signed answers to our letter deliveries, found through the audit trail
    (which names the acknowledgement message id for each step of the ladder)."""
    found = []
    for delivery in deliveries:
        events = AuditEvent.objects.filter(
            target_type="exchange.delivery", target_id=str(delivery.pk)
        )
        for event in events:
            message_id = (event.after or {}).get("acknowledgement")
            if not message_id:
                continue
            inbound = InboundEnvelope.objects.filter(
                sender=delivery.recipient, message_id=message_id
            ).first()
            if inbound is not None:
                found.append(inbound)
    return found


def _audit_rows(targets: set[tuple[str, str]]) -> list[AuditEvent]:
    condition = Q()
    for target_type, target_id in targets:
        condition |= Q(target_type=target_type, target_id=target_id)
    return list(AuditEvent.objects.filter(condition).order_by("sequence")) if targets else []


def _event_dict(event: AuditEvent) -> dict[str, Any]:
    row = {name: getattr(event, name) for name in ("id", *CHAINED_FIELDS)}
    row["occurred_at"] = event.occurred_at.astimezone(datetime.UTC).isoformat(
        timespec="microseconds"
    )
    row["prev_hash"], row["hash"] = event.prev_hash, event.hash
    return row


def evidence_bundle_write(*, letter: Letter, out: IO[bytes]) -> dict[str, Any]:
    """Write the letter's bundle to ``out`` (a zip); return its manifest."""
    bundle = _Bundle()
    deliveries = list(
        Delivery.objects.filter(letter=letter).select_related("sender", "recipient").order_by("pk")
    )
    inbound = list(InboundEnvelope.objects.filter(letter=letter).select_related("sender"))
    inbound += _acknowledgements_received(d for d in deliveries if d.message_type == "letter")
    agencies: dict[str, Agency] = {letter.agency.key: letter.agency}
    verification: dict[str, Any] = {}
    for delivery in deliveries:
        bundle.add(f"envelopes/{delivery.message_id}.xml", bytes(delivery.envelope))
        if delivery.receipt:
            bundle.add(f"receipts/{delivery.message_id}.xml", bytes(delivery.receipt))
        agencies[delivery.sender.key] = delivery.sender
        agencies[delivery.recipient.key] = delivery.recipient
    for record in inbound:
        bundle.add(f"envelopes/{record.message_id}.xml", bytes(record.envelope))
        if record.receipt:
            bundle.add(f"receipts/{record.message_id}.xml", bytes(record.receipt))
        verification[str(record.message_id)] = record.evidence
        agencies[record.sender.key] = record.sender
    for agency in agencies.values():
        for certificate in agency_signing_certificates(agency):
            fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
            bundle.add(f"certificates/{agency.key}/{fingerprint}.pem", _pem(certificate))
    trust = trust_material()
    for anchor in trust.anchors:
        bundle.add(f"trust/{anchor.fingerprint(hashes.SHA256()).hex()}.pem", _pem(anchor))
    for index, crl in enumerate(trust.crls):
        from cryptography.hazmat.primitives import serialization

        bundle.add(f"trust/crl-{index}.der", crl.public_bytes(serialization.Encoding.DER))
    bundle.add_json("verification.json", verification)
    bundle.add_json(
        "letter.json",
        {
            "agency": letter.agency.key,
            "direction": letter.direction,
            "status": letter.status,
            "number": letter.number_display() or letter.number_text,
            "subject_sha256": hashlib.sha256(letter.subject.encode()).hexdigest(),
            "attachments": [
                {"name": a.name, "role": a.role, "size": a.size, "sha256": a.sha256}
                for a in letter.attachments.order_by("position", "pk")
            ],
        },
    )
    _add_audit(bundle, letter, deliveries, inbound)
    return _seal(bundle, out)


def _add_audit(
    bundle: _Bundle, letter: Letter, deliveries: list[Delivery], inbound: list[InboundEnvelope]
) -> None:
    targets = {("letters.letter", str(letter.pk))}
    targets |= {("exchange.delivery", str(d.pk)) for d in deliveries}
    targets |= {("exchange.inboundenvelope", str(i.pk)) for i in inbound}
    events = _audit_rows(targets)
    # A fresh checkpoint, so that every event exported is covered by a signed head.
    audit_checkpoint_create()
    checkpoint = AuditCheckpoint.objects.order_by("-sequence", "-id").first()
    bundle.add(
        "audit/events.jsonl",
        "".join(json.dumps(_event_dict(e), ensure_ascii=False) + "\n" for e in events).encode(),
    )
    if checkpoint is None or not events:
        return
    links = AuditEvent.objects.filter(
        sequence__gte=events[0].sequence, sequence__lte=checkpoint.sequence
    ).order_by("sequence")
    bundle.add(
        "audit/links.jsonl",
        "".join(
            json.dumps({"sequence": s, "prev_hash": p, "hash": h}) + "\n"
            for s, p, h in links.values_list("sequence", "prev_hash", "hash").iterator()
        ).encode(),
    )
    bundle.add_json(
        "audit/checkpoint.json",
        {
            "sequence": checkpoint.sequence,
            "head_hash": checkpoint.head_hash,
            "signed_at": checkpoint.signed_at.astimezone(datetime.UTC).isoformat(
                timespec="microseconds"
            ),
            "signature": base64.b64encode(bytes(checkpoint.signature)).decode(),
            "certificate_pem": checkpoint.certificate_pem,
        },
    )


def _seal(bundle: _Bundle, out: IO[bytes]) -> dict[str, Any]:
    key, certificate_pem = hub_signing_key()
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "files": {
            path: hashlib.sha256(data).hexdigest() for path, data in sorted(bundle.files.items())
        },
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(bundle.files.items()):
            archive.writestr(path, data)
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", key.sign(manifest_bytes, ec.ECDSA(hashes.SHA256())))
        archive.writestr("hub.pem", certificate_pem.encode())
    return manifest


def evidence_bundle_save(*, letter: Letter, path: Path) -> dict[str, Any]:
    with path.open("wb") as out:
        return evidence_bundle_write(letter=letter, out=out)

"""Check an evidence bundle offline (no database) and say what it proves.

Order of checks, each stopping at the first failure with a precise reason:
1. the hub's signature over ``manifest.json`` (with ``hub.pem``, optionally pinned);
2. every file present, none extra, each with the digest the manifest gives;
3. every envelope's signature, certificate chain and schema, as of the time it was created,
   against the bundle's trust anchors, CRLs and the agencies' certificates;
4. every receipt: signed by the envelope's recipient, for exactly that envelope's bytes;
5. the audit excerpt: each event's hash from its fields, each linked into the chain that ends
   at the checkpoint, and the checkpoint signed by the hub.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from audit.chain import link_hash
from audit.checkpoints import certificate_fingerprint, checkpoint_message, signature_valid
from config.errors import HubError
from exchange.directory import FileDirectory
from exchange.envelope import MessageType, VerifiedEnvelope, envelope_verify
from exchange.envelope.safe_xml import parse_xml
from exchange.envelope.xml_read import read_header
from exchange.policy import verification_policy

FORMAT = "saraban-evidence/1"


class EvidenceInvalid(Exception):
    """The bundle does not prove what it claims; the message says where and why."""


@dataclass
class EvidenceReport:
    statements: list[str] = field(default_factory=list)

    def prove(self, statement: str) -> None:
        self.statements.append(statement)


def _fail(reason: str) -> EvidenceInvalid:
    return EvidenceInvalid(reason)


def evidence_bundle_verify(path: str, *, expect_hub_key: str | None = None) -> EvidenceReport:
    report = EvidenceReport()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise _fail(f"not a readable zip file: {error}") from error
    with archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = _manifest(files, expect_hub_key, report)
    _files_match(files, manifest)
    directory = _directory(files)
    verified = _envelopes(files, directory, report)
    _receipts(files, directory, verified, report)
    _audit(files, report)
    return report


def _manifest(
    files: dict[str, bytes], expect_hub_key: str | None, report: EvidenceReport
) -> dict[str, Any]:
    for required in ("manifest.json", "manifest.sig", "hub.pem"):
        if required not in files:
            raise _fail(f"{required} is missing")
    hub_pem = files["hub.pem"].decode()
    fingerprint = certificate_fingerprint(hub_pem)
    if expect_hub_key and fingerprint != expect_hub_key.lower():
        raise _fail(f"hub.pem is not the expected hub key (it is {fingerprint})")
    if not signature_valid(
        certificate_pem=hub_pem, message=files["manifest.json"], signature=files["manifest.sig"]
    ):
        raise _fail("manifest.sig: the hub's signature over manifest.json does not verify")
    manifest: dict[str, Any] = json.loads(files["manifest.json"])
    if manifest.get("format") != FORMAT:
        raise _fail(f"manifest.json: unknown format {manifest.get('format')!r}")
    report.prove(f"The bundle was sealed by the hub key {fingerprint} at {manifest['created_at']}.")
    return manifest


def _files_match(files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    listed: dict[str, str] = manifest["files"]
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise _fail(f"{name}: listed in the manifest but missing")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise _fail(f"{name}: changed (its SHA-256 differs from the manifest)")
    extra = set(files) - set(listed) - {"manifest.json", "manifest.sig", "hub.pem"}
    if extra:
        raise _fail(f"{sorted(extra)[0]}: not listed in the manifest")


def _directory(files: dict[str, bytes]) -> FileDirectory:
    anchors, crls = [], []
    signers: dict[str, list[x509.Certificate]] = {}
    for name, data in files.items():
        parts = PurePosixPath(name).parts
        if parts[0] == "trust" and name.endswith(".pem"):
            anchors.append(x509.load_pem_x509_certificate(data))
        elif parts[0] == "trust" and name.endswith(".der"):
            crls.append(x509.load_der_x509_crl(data))
        elif parts[0] == "certificates" and len(parts) == 3:
            signers.setdefault(parts[1], []).append(x509.load_pem_x509_certificate(data))
    return FileDirectory(anchors=anchors, signers=signers, crls=crls)


def _created_at(data: bytes) -> datetime.datetime:
    return read_header(parse_xml(data, max_bytes=len(data) + 1, max_depth=64)).created_at


def _verify(name: str, data: bytes, directory: FileDirectory) -> VerifiedEnvelope:
    try:
        return envelope_verify(
            data, directory=directory, now=_created_at(data), policy=verification_policy()
        )
    except HubError as error:
        raise _fail(f"{name}: {error.code} ({error.details})") from error


def _envelopes(
    files: dict[str, bytes], directory: FileDirectory, report: EvidenceReport
) -> dict[str, tuple[VerifiedEnvelope, bytes]]:
    verified = {}
    for name in sorted(n for n in files if n.startswith("envelopes/")):
        result = _verify(name, files[name], directory)
        header = result.envelope.header
        verified[header.message_id] = (result, files[name])
        ack = result.envelope.acknowledgement
        what = header.message_type.value
        if header.message_type == MessageType.REGISTRATION and ack is not None:
            what += f" (receive number {ack.receive_number})"
        report.prove(
            f"{header.sender.agency_key} signed {what} {header.message_id} to "
            f"{header.recipient.agency_key} at {header.created_at.isoformat()} "
            f"(certificate {result.certificate.fingerprint(hashes.SHA256()).hex()[:16]}…)."
        )
    return verified


def _receipts(
    files: dict[str, bytes],
    directory: FileDirectory,
    verified: dict[str, tuple[VerifiedEnvelope, bytes]],
    report: EvidenceReport,
) -> None:
    for name in sorted(n for n in files if n.startswith("receipts/")):
        message_id = PurePosixPath(name).stem
        if message_id not in verified:
            raise _fail(f"{name}: a receipt for an envelope that is not in the bundle")
        envelope, envelope_bytes = verified[message_id]
        receipt = _verify(name, files[name], directory)
        ack = receipt.envelope.acknowledgement
        if (
            receipt.envelope.header.message_type != MessageType.RECEIPT
            or ack is None
            or ack.acknowledged_message_id != message_id
            or ack.acknowledged_envelope_sha256 != hashlib.sha256(envelope_bytes).hexdigest()
            or receipt.envelope.header.sender.agency_key
            != envelope.envelope.header.recipient.agency_key
        ):
            raise _fail(f"{name}: does not acknowledge exactly envelopes/{message_id}.xml")
        report.prove(
            f"{receipt.envelope.header.sender.agency_key} acknowledged receiving {message_id} "
            f"at {ack.at.isoformat()}."
        )


def _audit(files: dict[str, bytes], report: EvidenceReport) -> None:
    events = [json.loads(line) for line in files.get("audit/events.jsonl", b"").splitlines()]
    if not events:
        return
    for event in events:
        if link_hash(event["prev_hash"], event) != event["hash"]:
            raise _fail(f"audit/events.jsonl: event {event['sequence']} does not give its hash")
    if "audit/checkpoint.json" not in files:
        raise _fail("audit/checkpoint.json is missing: the excerpt is not anchored")
    checkpoint = json.loads(files["audit/checkpoint.json"])
    links = [json.loads(line) for line in files.get("audit/links.jsonl", b"").splitlines()]
    by_sequence = {link["sequence"]: link for link in links}
    previous = None
    for link in links:
        if previous is not None and (
            link["sequence"] != previous["sequence"] + 1 or link["prev_hash"] != previous["hash"]
        ):
            raise _fail(f"audit/links.jsonl: the chain breaks at sequence {link['sequence']}")
        previous = link
    if previous is None or previous["sequence"] != checkpoint["sequence"]:
        raise _fail("audit/links.jsonl does not reach the checkpoint")
    if previous["hash"] != checkpoint["head_hash"]:
        raise _fail("audit/links.jsonl ends on another hash than the checkpoint signed")
    for event in events:
        link = by_sequence.get(event["sequence"])
        if link is None or link["hash"] != event["hash"]:
            raise _fail(f"audit event {event['sequence']} is not in the checkpointed chain")
    signed_at = datetime.datetime.fromisoformat(checkpoint["signed_at"])
    message = checkpoint_message(
        sequence=checkpoint["sequence"], head_hash=checkpoint["head_hash"], signed_at=signed_at
    )
    if not signature_valid(
        certificate_pem=checkpoint["certificate_pem"],
        message=message,
        signature=base64.b64decode(checkpoint["signature"]),
    ):
        raise _fail("audit/checkpoint.json: the hub's signature does not verify")
    actions = ", ".join(sorted({e["action"] for e in events}))
    report.prove(
        f"{len(events)} audit events ({actions}) are unaltered links of the hub's audit chain, "
        f"which the hub signed at #{checkpoint['sequence']} on {checkpoint['signed_at']}."
    )

"""Clerk actions run inside a node's Django (see ``Node.call``); each returns JSON-able data."""

from __future__ import annotations

import io
from typing import Any

from agencies.models import Agency
from exchange.models import Delivery, DeliveryAttempt
from exchange.selectors import letter_sending_progress
from exchange.services.acknowledgements import incoming_letter_refuse, incoming_letter_register
from exchange.services.sending import letter_send
from letters.models import AttachmentRole, Direction, Letter, LetterStatus
from letters.services.attachments import attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    letter_create_draft,
)

ACTOR = "e2e:clerk"
MAIN_PDF = "%PDF-1.4 หนังสือเชิญประชุม".encode()


def send(
    sender: str, recipients: list[str], subject: str, circular: bool = False
) -> dict[str, Any]:
    agency = Agency.objects.get(key=sender)
    letter = letter_create_draft(
        agency=agency,
        actor=ACTOR,
        values=LetterFields(
            subject=subject,
            urgency="004",
            series="circular" if circular else "normal",
            unit_number=agency.unit_number or "0100",
            body="ด้วยสำนักงานฯ ขอเชิญประชุม จึงเรียนมาเพื่อโปรดพิจารณา",
        ),
        parts=LetterParts(
            recipients=[RecipientInput(agency=Agency.objects.get(key=k)) for k in recipients]
        ),
    )
    attachment_add(
        letter=letter,
        actor=ACTOR,
        stream=io.BytesIO(MAIN_PDF),
        name="หนังสือเชิญประชุม.pdf",
        media_type="application/pdf",
        role=AttachmentRole.MAIN,
    )
    letter_send(letter=letter, actor=ACTOR)
    letter.refresh_from_db()
    return {"letter": letter.pk, "number": letter.number_display()}


def progress(letter_id: int) -> dict[str, Any]:
    letter = Letter.objects.get(pk=letter_id)
    counted = letter_sending_progress(letter=letter)
    rows = Delivery.objects.filter(letter=letter, message_type="letter").select_related("recipient")
    return {
        "total": counted.total,
        "done": counted.done,
        "failed": counted.failed,
        "deliveries": {d.recipient.key: [d.status, d.receive_number, d.reason] for d in rows},
    }


def inbox(agency: str, subject: str) -> list[dict[str, Any]]:
    copies = Letter.objects.filter(
        agency__key=agency, direction=Direction.INCOMING, subject=subject
    )
    return [
        {
            "id": copy.pk,
            "status": copy.status,
            "number": copy.number_text,
            "files": [attachment.size for attachment in copy.attachments.all()],
        }
        for copy in copies
    ]


def register(letter_id: int) -> dict[str, Any]:
    entry = incoming_letter_register(letter=Letter.objects.get(pk=letter_id), actor=ACTOR)
    return {"receive_number": str(entry.number)}


def refuse(letter_id: int, status: str, reason: str) -> dict[str, Any]:
    incoming_letter_refuse(
        letter=Letter.objects.get(pk=letter_id),
        status=LetterStatus(status),
        reason=reason,
        actor=ACTOR,
    )
    return {"ok": True}


def send_many(count: int, prefix: str, sender: str = "etda", recipient: str = "soc") -> list[int]:
    """Send ``count`` letters with subjects "<prefix> ฉบับที่ n"; return their ids."""
    return [
        send(sender, [recipient], f"{prefix} ฉบับที่ {number}")["letter"]
        for number in range(1, count + 1)
    ]


def outbox_summary(prefix: str) -> dict[str, Any]:
    """Letter deliveries of letters whose subject starts with prefix, and their audit rows."""
    from audit.models import AuditEvent

    deliveries = Delivery.objects.filter(message_type="letter", letter__subject__startswith=prefix)
    ids = [str(pk) for pk in deliveries.values_list("pk", flat=True)]
    delivered_events = AuditEvent.objects.filter(
        action="exchange.delivery.delivered", target_type="exchange.delivery", target_id__in=ids
    )
    statuses: dict[str, int] = {}
    for status in deliveries.values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    errors: dict[str, int] = {}
    for code in DeliveryAttempt.objects.filter(
        delivery__in=deliveries, succeeded=False
    ).values_list("error_code", flat=True):
        errors[code] = errors.get(code, 0) + 1
    return {
        "statuses": statuses,
        "delivered_events": delivered_events.count(),
        "delivered_event_targets": delivered_events.values("target_id").distinct().count(),
        "max_attempts": max(deliveries.values_list("attempt_count", flat=True), default=0),
        "errors": errors,
        "failed_attempts": sum(
            delivery.attempts.filter(succeeded=False).count() for delivery in deliveries
        ),
    }


def inbox_summary(agency: str, prefix: str) -> dict[str, Any]:
    """Copies in the agency's inbox by subject prefix, and their "received" audit rows."""
    from audit.models import AuditEvent

    copies = Letter.objects.filter(
        agency__key=agency, direction=Direction.INCOMING, subject__startswith=prefix
    )
    subjects = list(copies.values_list("subject", flat=True))
    received = AuditEvent.objects.filter(
        action="letters.letter.received",
        target_type="letters.letter",
        target_id__in=[str(pk) for pk in copies.values_list("pk", flat=True)],
    )
    return {
        "copies": len(subjects),
        "distinct": len(set(subjects)),
        "received_events": received.count(),
    }


# --- Benchmark actions (bench/exchange.py) -------------------------------------------------

BENCH_SENTENCE = "ด้วยสำนักงานฯ ขอเชิญประชุมเพื่อพิจารณาแนวทางการแลกเปลี่ยนหนังสือราชการ "


def _bench_letter(sender: str, recipient: str, subject: str, body_bytes: int) -> Letter:
    agency = Agency.objects.get(key=sender)
    sentence = BENCH_SENTENCE.encode()
    body = BENCH_SENTENCE * max(1, body_bytes // len(sentence))
    letter = letter_create_draft(
        agency=agency,
        actor=ACTOR,
        values=LetterFields(
            subject=subject,
            urgency="004",
            series="normal",
            unit_number=agency.unit_number or "0100",
            body=body,
        ),
        parts=LetterParts(recipients=[RecipientInput(agency=Agency.objects.get(key=recipient))]),
    )
    attachment_add(
        letter=letter,
        actor=ACTOR,
        stream=io.BytesIO(MAIN_PDF),
        name="หนังสือเชิญประชุม.pdf",
        media_type="application/pdf",
        role=AttachmentRole.MAIN,
    )
    return letter


def send_paced(
    count: int,
    prefix: str,
    rate: float = 0.0,
    body_bytes: int = 3000,
    attach_bytes: int = 0,
    sender: str = "etda",
    recipient: str = "soc",
) -> dict[str, Any]:
    """Send ``count`` letters "<prefix> n", at most ``rate`` per second (0: as fast as possible).

    ``body_bytes`` of Thai body text make a ~4 KB envelope; ``attach_bytes`` > 0 adds an
    enclosure of that many bytes to each letter.
    """
    import time

    started = time.monotonic()
    cpu_started = time.process_time()
    ids = []
    for number in range(1, count + 1):
        if rate > 0:
            pause = started + (number - 1) / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        letter = _bench_letter(sender, recipient, f"{prefix} {number}", body_bytes)
        if attach_bytes > 0:
            attachment_add(
                letter=letter,
                actor=ACTOR,
                stream=io.BytesIO(b"\0" * attach_bytes),
                name="enclosure.bin",
                media_type="application/octet-stream",
                role=AttachmentRole.ENCLOSURE,
            )
        letter_send(letter=letter, actor=ACTOR)
        ids.append(letter.pk)
    return {
        "letters": ids,
        "seconds": time.monotonic() - started,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def send_file(sender: str, recipient: str, subject: str, path: str) -> dict[str, Any]:
    """Send one letter with the file at ``path`` as an enclosure, streamed from disk.

    Returns this process's peak RSS (KiB, from getrusage) before attaching and after sending.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    letter = _bench_letter(sender, recipient, subject, 1000)
    with open(path, "rb") as stream:
        attachment_add(
            letter=letter,
            actor=ACTOR,
            stream=stream,
            name="big.bin",
            media_type="application/octet-stream",
            role=AttachmentRole.ENCLOSURE,
        )
    letter_send(letter=letter, actor=ACTOR)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"letter": letter.pk, "maxrss_before_kib": before, "maxrss_after_kib": after}


def delivery_times(prefix: str) -> list[dict[str, Any]]:
    """Created, delivered and registered times (ISO) of the letter deliveries by subject."""
    rows = Delivery.objects.filter(message_type="letter", letter__subject__startswith=prefix)
    return [
        {
            "status": row.status,
            "created": row.created_at.isoformat(),
            "delivered": row.delivered_at.isoformat() if row.delivered_at else None,
            "registered": row.registered_at.isoformat() if row.registered_at else None,
            # registered_at is the recipient's signed time, to the second; updated_at is when
            # this node applied the registration (nothing updates the row after that).
            "registered_seen": row.updated_at.isoformat() if row.registered_at else None,
        }
        for row in rows
    ]


def register_arrivals(agency: str, prefix: str, count: int, timeout: float = 120) -> dict[str, Any]:
    """Register (ลงรับ) each received copy with that subject prefix as soon as it arrives."""
    import time

    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    cpu_started = time.process_time()
    registered = 0
    errors = 0
    while registered < count and time.monotonic() < deadline:
        waiting = list(
            Letter.objects.filter(
                agency__key=agency,
                direction=Direction.INCOMING,
                subject__startswith=prefix,
                status=LetterStatus.RECEIVED,
            )
        )
        if not waiting:
            time.sleep(0.05)
            continue
        for copy in waiting:
            try:
                incoming_letter_register(letter=copy, actor=ACTOR)
                registered += 1
            except OperationalError:
                errors += 1
                time.sleep(0.05)
    return {
        "registered": registered,
        "errors": errors,
        # Waiting included: it polls the inbox every 50 ms while nothing has arrived.
        "cpu_seconds": time.process_time() - cpu_started,
    }


CIRCULAR_PREFIX = "circ"


def bench_hosted_agencies(count: int, kind: str = "ec") -> dict[str, Any]:
    """Create ``count`` hosted agencies "circ-0001"… with signing keys from a bench CA.

    The agencies go through the directory service and each key through the PKI service (its
    certificate checked, the key encrypted at rest), as a real onboarding would. EC keys by
    default: generating a thousand RSA-2048 keys alone takes minutes on two cores.
    """
    import time

    from agencies.models import AgencySigningKey
    from agencies.pki.issuing import issue_certificate, make_ca
    from agencies.pki.services import agency_signing_key_import, trust_anchor_import
    from agencies.services import directory_load

    started = time.monotonic()
    keys = [f"{CIRCULAR_PREFIX}-{number:04d}" for number in range(1, count + 1)]
    directory_load(
        entries=[
            {"key": key, "name_th": f"หน่วยงานทดสอบหนังสือเวียน ลำดับที่ {number}"}
            for number, key in enumerate(keys, start=1)
        ],
        actor=ACTOR,
    )
    ca = make_ca("Saraban Bench Circular CA")
    trust_anchor_import(pem=ca.certificate_pem(), name="Bench circular CA", actor=ACTOR)
    with_keys = set(
        AgencySigningKey.objects.filter(agency__key__in=keys, is_active=True).values_list(
            "agency__key", flat=True
        )
    )
    for agency in Agency.objects.filter(key__in=keys):
        if agency.key in with_keys:
            continue
        issued = issue_certificate(
            ca,
            common_name=f"{agency.key} signer",
            organization=agency.name_th,
            kind=kind,  # type: ignore[arg-type]
        )
        agency_signing_key_import(
            agency=agency,
            key_data=issued.private_key_pem(),
            certificate_data=issued.certificate_pem(),
            password=None,
            actor=ACTOR,
        )
    return {"agencies": len(keys), "seconds": time.monotonic() - started}


def send_circular(count: int, subject: str, sender: str = "etda") -> dict[str, Any]:
    """Draft a circular to the first ``count`` bench agencies; time ``letter_send`` alone."""
    import time

    from django.utils import timezone

    agency = Agency.objects.get(key=sender)
    recipients = list(Agency.objects.filter(key__startswith=f"{CIRCULAR_PREFIX}-").order_by("key"))
    letter = letter_create_draft(
        agency=agency,
        actor=ACTOR,
        values=LetterFields(
            subject=subject,
            urgency="004",
            series="circular",
            unit_number=agency.unit_number or "0100",
            body=BENCH_SENTENCE * 20,
        ),
        parts=LetterParts(recipients=[RecipientInput(agency=r) for r in recipients[:count]]),
    )
    attachment_add(
        letter=letter,
        actor=ACTOR,
        stream=io.BytesIO(MAIN_PDF),
        name="หนังสือเวียน.pdf",
        media_type="application/pdf",
        role=AttachmentRole.MAIN,
    )
    clicked = timezone.now()
    started = time.monotonic()
    cpu_before = time.process_time()
    letter_send(letter=letter, actor=ACTOR)
    return {
        "letter": letter.pk,
        "clicked": clicked.isoformat(),
        "send_seconds": time.monotonic() - started,
        "send_cpu_seconds": time.process_time() - cpu_before,
    }


def circular_wait(letter_id: int, timeout: float = 600) -> dict[str, Any]:
    """Poll (cheaply, in this one process) until every delivery of the letter is terminal."""
    import time

    from exchange.models import PENDING_STATUSES

    deadline = time.monotonic() + timeout
    letter = Letter.objects.get(pk=letter_id)
    pending = Delivery.objects.filter(letter=letter, status__in=PENDING_STATUSES)
    # One cheap query per half second: this process shares the two cores with the worker.
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    counted = letter_sending_progress(letter=letter)
    rows = list(
        Delivery.objects.filter(letter=letter, message_type="letter").values_list(
            "status", "created_at", "delivered_at", "updated_at"
        )
    )
    return {
        "total": counted.total,
        "done": counted.done,
        "failed": counted.failed,
        "by_status": counted.by_status,
        "created_first": min(r[1] for r in rows).isoformat() if rows else None,
        # The moment each delivery became terminal: its receipt, or its last state change.
        "finished": sorted((r[2] or r[3]).isoformat() for r in rows if r[0] != "queued"),
    }


def pull_and_acknowledge(agency: str, pki_dir: str) -> list[dict[str, Any]]:
    """Play the agency's own e-saraban system: fetch its queue, sign a receipt for each item
    with its own key (from the PKI folder, never installed on the node), acknowledge."""
    import hashlib
    import uuid
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from django.utils import timezone

    from exchange.envelope import AcknowledgementData, Envelope, Header, MessageType, envelope_sign
    from exchange.envelope.safe_xml import parse_xml
    from exchange.envelope.xml_read import read_header
    from exchange.mapping import party_for
    from exchange.services.pull import pull_acknowledge, pull_fetch
    from exchange.transports import attachments_by_manifest_id

    folder = Path(pki_dir)
    key = load_pem_private_key((folder / f"{agency}.key.pem").read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate((folder / f"{agency}.cert.pem").read_bytes())
    system = f"system:{agency}-esaraban"
    me = Agency.objects.get(key=agency)
    fetched = []
    for item in pull_fetch(agency=me, actor=system):
        data = bytes(item.envelope)
        header = read_header(parse_xml(data, max_bytes=len(data), max_depth=64))
        at = timezone.now().replace(microsecond=0)
        receipt = envelope_sign(
            Envelope(
                header=Header(
                    message_id=str(uuid.uuid4()),
                    message_type=MessageType.RECEIPT,
                    created_at=at,
                    sender=party_for(me),
                    recipient=header.sender,
                    conversation_id=header.conversation_id,
                    in_reply_to=header.message_id,
                ),
                acknowledgement=AcknowledgementData(
                    acknowledged_message_id=header.message_id,
                    acknowledged_envelope_sha256=hashlib.sha256(data).hexdigest(),
                    at=at,
                ),
            ),
            key=key,  # type: ignore[arg-type]
            certificate=certificate,
        )
        files = {
            name: hashlib.sha256(attachment.file.read()).hexdigest()
            for name, attachment in attachments_by_manifest_id(item).items()
        }
        pull_acknowledge(agency=me, message_id=header.message_id, receipt=receipt, actor=system)
        fetched.append({"message_id": header.message_id, "from": item.sender.key, "files": files})
    return fetched


def attempts(letter_id: int) -> list[int | None]:
    """HTTP statuses of every attempt to deliver the letter, in order."""
    return list(
        DeliveryAttempt.objects.filter(delivery__letter_id=letter_id)
        .order_by("started_at", "pk")
        .values_list("http_status", flat=True)
    )


def file_digests(letter_id: int) -> list[str]:
    """SHA-256 of the letter's files, in the order of its envelope's manifest."""
    letter = Letter.objects.get(pk=letter_id)
    return [a.sha256 for a in letter.attachments.order_by("pk")]

"""Envelopes an agency's own e-saraban system signed itself, handed to the hub to send.

ETDA's and SOC's systems sign with their own keys (the test PKI); the hub checks, records and
sends the same bytes. With SOC in pull mode, its system also registers what it pulled, and
acknowledgements for SOC's letters reach SOC's records whichever way they come.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import uuid

import pytest
from django.urls import reverse

from agencies.models import AgencyRole, DeliveryMode
from agencies.pki.services import agency_certificate_register
from audit.models import AuditEvent
from exchange.envelope import (
    AcknowledgementData,
    Envelope,
    Header,
    ManifestEntry,
    MessageType,
    envelope_sign,
)
from exchange.envelope.errors import DuplicateMessage
from exchange.errors import NotTheSigner, SubmittedTwice
from exchange.models import Delivery, DeliveryStatus
from exchange.services.acknowledgements import incoming_letter_register
from exchange.services.outbox import delivery_attempt
from exchange.services.pull import pull_fetch
from exchange.services.sending import letter_send
from exchange.services.submission import envelope_submit
from letters.models import Direction, Letter, LetterStatus
from tests.conftest import make_agency, make_user

from .conftest import DGA, ETDA, SOC, letter_envelope, now
from .test_delivery_flow import PDF, draft_to

SYSTEM = "system:esaraban"
ANNEX = "%PDF-1.7\n% บัญชีรายชื่อผู้เข้าร่วมประชุม ๒๕ คน\n%%EOF\n".encode()
FILES = {"doc-1": PDF, "doc-2": ANNEX}


def _manifest() -> tuple[ManifestEntry, ...]:
    return tuple(
        ManifestEntry(
            attachment_id=name,
            role="main" if name == "doc-1" else "enclosure",
            name=f"{name}.pdf",
            media_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        for name, content in FILES.items()
    )


def _signed(envelope: Envelope, signer) -> bytes:
    return envelope_sign(envelope, key=signer.private_key, certificate=signer.certificate)


def _streams() -> dict[str, io.BytesIO]:
    return {name: io.BytesIO(content) for name, content in FILES.items()}


def _acknowledgement(message_type, *, sender, recipient, of: Delivery, **details) -> Envelope:
    return Envelope(
        header=Header(
            message_id=str(uuid.uuid4()),
            message_type=message_type,
            created_at=now(),
            sender=sender,
            recipient=recipient,
            conversation_id=str(of.message_id),
            in_reply_to=str(of.message_id),
        ),
        acknowledgement=AcknowledgementData(
            acknowledged_message_id=str(of.message_id),
            acknowledged_envelope_sha256=of.envelope_sha256,
            at=now(),
            **details,
        ),
    )


def test_etdas_system_submits_a_signed_letter_and_the_hub_sends_those_very_bytes(
    hosted, etda, soc, pki
):
    data = _signed(letter_envelope(sender=ETDA, recipient=SOC, manifest=_manifest()), pki.etda)

    delivery = envelope_submit(agency=etda, data=data, attachments=_streams(), actor=SYSTEM)

    assert (delivery.status, bytes(delivery.envelope)) == (DeliveryStatus.QUEUED, data)
    record = delivery.letter
    assert (record.agency, record.direction, record.status) == (
        etda,
        Direction.OUTGOING,
        LetterStatus.SENT,
    )
    assert record.number_text  # as ETDA's own register numbered it
    assert AuditEvent.objects.filter(action="exchange.envelope.submitted", agency=etda).exists()
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    assert sorted(a.file.read() for a in copy.attachments.all()) == sorted(FILES.values())


def test_the_same_bytes_twice_are_one_delivery_and_other_bytes_under_its_id_are_refused(
    hosted, etda, pki
):
    envelope = letter_envelope(sender=ETDA, recipient=SOC, manifest=_manifest())
    data = _signed(envelope, pki.etda)
    first = envelope_submit(agency=etda, data=data, attachments=_streams(), actor=SYSTEM)

    again = envelope_submit(agency=etda, data=data, attachments=_streams(), actor=SYSTEM)

    assert again.pk == first.pk
    assert envelope.letter is not None
    other = dataclasses.replace(
        envelope, letter=dataclasses.replace(envelope.letter, subject="เรื่องอื่นที่ไม่ใช่ฉบับเดิม")
    )
    with pytest.raises(DuplicateMessage):
        envelope_submit(
            agency=etda, data=_signed(other, pki.etda), attachments=_streams(), actor=SYSTEM
        )
    assert Delivery.objects.count() == 1


def test_an_envelope_signed_by_another_agency_is_refused(hosted, etda, pki):
    data = _signed(letter_envelope(sender=SOC, recipient=ETDA), pki.soc)

    with pytest.raises(NotTheSigner):
        envelope_submit(agency=etda, data=data, actor=SYSTEM)

    assert not Delivery.objects.exists()
    assert not Letter.objects.exists()


def test_copies_of_one_letter_share_one_record_and_a_second_copy_to_one_agency_is_refused(
    hosted, etda, soc, pki
):
    make_agency("dga", name_th=DGA.name_th)
    to_soc = letter_envelope(sender=ETDA, recipient=SOC, manifest=_manifest())
    to_dga = dataclasses.replace(
        to_soc,
        header=dataclasses.replace(to_soc.header, message_id=str(uuid.uuid4()), recipient=DGA),
    )
    soc_copy = envelope_submit(
        agency=etda, data=_signed(to_soc, pki.etda), attachments=_streams(), actor=SYSTEM
    )
    dga_copy = envelope_submit(
        agency=etda, data=_signed(to_dga, pki.etda), attachments=_streams(), actor=SYSTEM
    )
    assert soc_copy.letter_id == dga_copy.letter_id

    soc_again = dataclasses.replace(
        to_soc, header=dataclasses.replace(to_soc.header, message_id=str(uuid.uuid4()))
    )
    with pytest.raises(SubmittedTwice):
        envelope_submit(
            agency=etda, data=_signed(soc_again, pki.etda), attachments=_streams(), actor=SYSTEM
        )
    assert Letter.objects.filter(direction=Direction.OUTGOING).count() == 1


@pytest.fixture
def soc_pulls(hosted, soc):
    soc.delivery_mode = DeliveryMode.PULL
    soc.save()
    return soc


def _register_as_soc(soc_pulls, pki, item, *, receive_number: str):
    """SOC's system signs the registration (ลงรับ) of a pulled item and submits it here."""
    registration = _acknowledgement(
        MessageType.REGISTRATION,
        sender=SOC,
        recipient=ETDA,
        of=item,
        receive_number=receive_number,
        receive_year=2569,
    )
    return envelope_submit(agency=soc_pulls, data=_signed(registration, pki.soc), actor=SYSTEM)


def test_a_pull_agencys_system_registers_a_relayed_letter_through_the_hub(
    soc_pulls, etda, pki, client
):
    data = _signed(letter_envelope(sender=ETDA, recipient=SOC), pki.etda)
    answer = client.post(reverse("exchange-inbound"), data=data, content_type="application/xml")
    assert answer.status_code == 202
    [item] = pull_fetch(agency=soc_pulls, actor=SYSTEM)

    queued = _register_as_soc(soc_pulls, pki, item, receive_number="๔๕๖")

    assert (queued.message_type, queued.sender, queued.recipient) == (
        "registration",
        soc_pulls,
        etda,
    )
    assert queued.letter == Letter.objects.get(agency=soc_pulls, direction=Direction.INCOMING)


def test_a_pull_agencys_system_registers_a_letter_parked_from_a_hosted_agency(soc_pulls, etda, pki):
    """No inbound record names a letter parked here straight from a hosted sender: the
    registration is about ETDA's own letter, and reaches ETDA's delivery."""
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    [sent] = letter_send(letter=draft_to(etda, soc_pulls, alice), actor=alice)
    assert delivery_attempt(delivery_id=sent.pk) == "awaiting-pull"
    [item] = pull_fetch(agency=soc_pulls, actor=SYSTEM)

    queued = _register_as_soc(soc_pulls, pki, item, receive_number="๔๕๗")

    assert (queued.message_type, queued.sender, queued.recipient, queued.letter) == (
        "registration",
        soc_pulls,
        etda,
        sent.letter,
    )
    assert delivery_attempt(delivery_id=queued.pk) == "delivered"
    sent.refresh_from_db()
    assert (sent.status, sent.receive_number) == (DeliveryStatus.REGISTERED, "๔๕๗")


def test_a_hosted_agencys_registration_reaches_the_pull_agencys_records_when_parked(
    soc_pulls, etda, pki
):
    data = _signed(letter_envelope(sender=SOC, recipient=ETDA), pki.soc)
    sent = envelope_submit(agency=soc_pulls, data=data, actor=SYSTEM)
    assert delivery_attempt(delivery_id=sent.pk) == "delivered"  # ETDA is hosted here
    copy = Letter.objects.get(agency=etda, direction=Direction.INCOMING)

    entry = incoming_letter_register(
        letter=copy, actor=make_user("alice", (etda, AgencyRole.CLERK))
    )
    registration = Delivery.objects.get(message_type="registration")

    assert delivery_attempt(delivery_id=registration.pk) == "awaiting-pull"
    sent.refresh_from_db()
    assert (sent.status, sent.receive_number) == (DeliveryStatus.REGISTERED, str(entry.number))
    assert delivery_attempt(delivery_id=registration.pk) == "not-due"  # applied once only
    assert [d.pk for d in pull_fetch(agency=soc_pulls, actor=SYSTEM)] == [registration.pk]


def test_a_peers_registration_for_a_pull_agencys_letter_is_applied_and_relayed(
    soc_pulls, etda, pki, client
):
    dga = make_agency(
        "dga",
        name_th=DGA.name_th,
        delivery_mode=DeliveryMode.PUSH,
        endpoint_url="http://127.0.0.1:9/api/v1/exchange/envelopes",
    )
    agency_certificate_register(agency=dga, certificate=pki.dga.certificate, actor="test")
    sent = envelope_submit(
        agency=soc_pulls,
        data=_signed(letter_envelope(sender=SOC, recipient=DGA), pki.soc),
        actor=SYSTEM,
    )
    registration = _acknowledgement(
        MessageType.REGISTRATION,
        sender=DGA,
        recipient=SOC,
        of=sent,
        receive_number="๗๘๙",
        receive_year=2569,
    )
    data = _signed(registration, pki.dga)

    answer = client.post(reverse("exchange-inbound"), data=data, content_type="application/xml")

    assert answer.status_code == 202, answer.content
    sent.refresh_from_db()
    assert (sent.status, sent.receive_number) == (DeliveryStatus.REGISTERED, "๗๘๙")
    parked = Delivery.objects.get(message_type="registration", recipient=soc_pulls)
    assert bytes(parked.envelope) == data
    assert delivery_attempt(delivery_id=parked.pk) == "awaiting-pull"  # not applied twice
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.REGISTERED

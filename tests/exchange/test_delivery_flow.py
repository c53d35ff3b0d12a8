"""Letters between two agencies hosted here: send, receive, register, reject, replay.

Alice (ETDA) sends to Bob (SOC). The Celery task body (delivery_attempt) is called directly;
tests/exchange/test_delivery_worker.py runs the same flow through a real worker.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from agencies.models import AgencyRole, DeliveryMode
from audit.models import AuditEvent
from exchange.envelope import MessageType, envelope_verify
from exchange.errors import NotRedrivable
from exchange.models import Delivery, DeliveryAttempt, DeliveryStatus, InboundEnvelope
from exchange.services.acknowledgements import incoming_letter_refuse, incoming_letter_register
from exchange.services.outbox import deliveries_sweep, delivery_attempt, delivery_redrive
from exchange.services.sending import letter_send
from letters.models import AttachmentRole, Direction, Letter, LetterStatus
from letters.services.attachments import attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    letter_create_draft,
)
from tests.conftest import make_user

from .conftest import now

PDF = "%PDF-1.4\n% หนังสือราชการ ด่วนที่สุด ๑๒๓\n%%EOF\n".encode()


def draft_to(agency, recipient, actor, **fields):
    values = LetterFields(
        subject=fields.pop("subject", "ขอเชิญประชุมคณะกรรมการพัฒนารัฐบาลดิจิทัล ครั้งที่ ๑/๒๕๗๐"),
        urgency=fields.pop("urgency", "004"),
        body="ด้วยสำนักงานฯ กำหนดจัดประชุม จึงเรียนมาเพื่อโปรดพิจารณา",
        signer_name="นายทดสอบ ระบบดี",
        signer_position="ผู้อำนวยการ",
        **fields,
    )
    letter = letter_create_draft(
        agency=agency,
        actor=actor,
        values=values,
        parts=LetterParts(recipients=[RecipientInput(agency=recipient)]),
    )
    attachment_add(
        letter=letter,
        actor=actor,
        stream=io.BytesIO(PDF),
        name="หนังสือเชิญประชุม.pdf",
        media_type="application/pdf",
        role=AttachmentRole.MAIN,
    )
    return letter


@pytest.fixture
def alice(hosted, etda):
    return make_user("alice", (etda, AgencyRole.CLERK))


@pytest.fixture
def bob(hosted, soc):
    return make_user("bob", (soc, AgencyRole.CLERK))


def deliver_all() -> list[str]:
    return [
        delivery_attempt(delivery_id=pk) for pk in Delivery.objects.values_list("pk", flat=True)
    ]


def test_alice_sends_and_bob_finds_his_own_verified_copy(alice, etda, soc):
    letter = draft_to(etda, soc, alice)

    [delivery] = letter_send(letter=letter, actor=alice)

    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert letter.running_number == 1  # numbered from the dispatch register on the way out
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.receipt
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    assert copy.status == LetterStatus.RECEIVED
    assert copy.sender_agency == etda
    assert copy.subject == letter.subject
    assert copy.number_text == letter.number_display()
    [attachment] = copy.attachments.all()
    assert attachment.file.read() == PDF
    assert attachment.name == "หนังสือเชิญประชุม.pdf"
    inbound = InboundEnvelope.objects.get(letter=copy)
    assert bytes(inbound.envelope) == bytes(delivery.envelope)  # stored byte for byte
    assert inbound.evidence["signature_shape"] == "xades"
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.transport, attempt.succeeded) == ("hosted", True)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "letters.letter.sent",
        "exchange.delivery.queued",
        "letters.letter.received",
        "exchange.envelope.received_letter",
        "exchange.delivery.delivered",
    } <= actions


def test_the_receipt_is_signed_by_soc_and_names_the_exact_bytes(alice, etda, soc, pki):
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    receipt = envelope_verify(bytes(delivery.receipt), directory=pki.directory(), now=now())

    assert receipt.envelope.header.message_type == MessageType.RECEIPT
    assert receipt.envelope.header.sender.agency_key == "soc"
    assert receipt.envelope.acknowledgement.acknowledged_envelope_sha256 == delivery.envelope_sha256


def test_bob_registers_and_alice_sees_his_receive_number(alice, bob, etda, soc):
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)

    entry = incoming_letter_register(letter=copy, actor=bob)
    registration = Delivery.objects.get(message_type=MessageType.REGISTRATION.value)
    assert registration.recipient == etda
    assert delivery_attempt(delivery_id=registration.pk) == "delivered"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REGISTERED
    assert delivery.receive_number == str(entry.number)
    assert delivery.registered_at is not None
    assert AuditEvent.objects.filter(action="exchange.delivery.registered", agency=etda).exists()
    # ลงรับ twice is still one number and one acknowledgement.
    assert incoming_letter_register(letter=copy, actor=bob) == entry
    assert Delivery.objects.filter(message_type=MessageType.REGISTRATION.value).count() == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (LetterStatus.REJECTED, DeliveryStatus.REJECTED),
        (LetterStatus.WRONG_RECIPIENT, DeliveryStatus.WRONG_RECIPIENT),
    ],
)
def test_bob_refuses_and_alice_sees_why(alice, bob, etda, soc, status, expected):
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)

    incoming_letter_refuse(letter=copy, status=status, reason="ไม่ใช่เรื่องในอำนาจหน้าที่", actor=bob)
    [acknowledgement] = Delivery.objects.exclude(message_type="letter")
    delivery_attempt(delivery_id=acknowledgement.pk)

    delivery.refresh_from_db()
    assert delivery.status == expected
    assert delivery.reason == "ไม่ใช่เรื่องในอำนาจหน้าที่"
    copy.refresh_from_db()
    assert copy.status == status


def test_sending_twice_queues_each_recipient_once(alice, etda, soc):
    letter = draft_to(etda, soc, alice)

    first = letter_send(letter=letter, actor=alice)
    again = letter_send(letter=letter, actor=alice)

    assert [d.pk for d in again] == [d.pk for d in first]
    assert Delivery.objects.filter(message_type="letter").count() == 1


def test_a_delivery_is_claimed_once_however_often_it_is_kicked(alice, etda, soc):
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)

    assert deliver_all() == ["delivered"]
    assert delivery_attempt(delivery_id=delivery.pk) == "not-due"
    assert Letter.objects.filter(agency=soc, direction=Direction.INCOMING).count() == 1


def test_replaying_an_envelope_returns_the_identical_receipt(alice, etda, soc, client):
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    response = client.post(
        reverse("exchange-inbound"), data=bytes(delivery.envelope), content_type="application/xml"
    )

    assert response.status_code == 200
    assert response.content == bytes(delivery.receipt)
    assert response["X-Replayed"] == "true"
    assert Letter.objects.filter(agency=soc, direction=Direction.INCOMING).count() == 1


def test_a_different_envelope_under_a_known_message_id_is_refused_and_flagged(
    alice, etda, soc, client, pki
):
    from lxml import etree

    from exchange.envelope import sign_tree
    from exchange.envelope.xml_build import tag

    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    root = etree.fromstring(bytes(delivery.envelope))
    root.remove(root[-1])  # the signature
    root.find(tag("Letter")).find(tag("Subject")).text = "เรื่องที่ถูกแก้ไขภายหลัง"
    forged = sign_tree(root, key=pki.etda.private_key, certificate=pki.etda.certificate)

    attachment = Letter.objects.get(pk=delivery.letter_id).attachments.get()

    response = client.post(
        reverse("exchange-inbound"),
        data={"envelope": io.BytesIO(forged), f"att-{attachment.pk}": io.BytesIO(PDF)},
    )

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "envelope.duplicate_message_id"
    assert AuditEvent.objects.filter(action="exchange.security.message_id_reused").exists()
    assert Letter.objects.filter(agency=soc, direction=Direction.INCOMING).count() == 1


def test_the_endpoint_answers_a_bad_envelope_with_a_json_code(client, hosted):
    response = client.post(
        reverse("exchange-inbound"), data=b"<Envelope>", content_type="application/xml"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "envelope.malformed"


def test_the_endpoint_takes_multipart_with_attachments(alice, etda, soc, client):
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    attachment = Letter.objects.get(pk=delivery.letter_id).attachments.get()

    response = client.post(
        reverse("exchange-inbound"),
        data={
            "envelope": io.BytesIO(bytes(delivery.envelope)),
            f"att-{attachment.pk}": io.BytesIO(PDF),
        },
    )

    assert response.status_code == 200, response.content
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    assert copy.attachments.get().file.read() == PDF


def test_a_missing_attachment_part_is_refused(alice, etda, soc, client):
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)

    response = client.post(
        reverse("exchange-inbound"), data={"envelope": io.BytesIO(bytes(delivery.envelope))}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "envelope.attachment_missing"
    assert not Letter.objects.filter(agency=soc, direction=Direction.INCOMING).exists()


def test_an_unreachable_push_recipient_is_retried_later_then_redriven(alice, etda, soc, settings):
    soc.delivery_mode = DeliveryMode.PUSH
    soc.endpoint_url = "http://127.0.0.1:9/api/v1/exchange/envelopes"  # nothing listens there
    soc.save()
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)

    assert delivery_attempt(delivery_id=delivery.pk) == "retry"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.last_error_code == "exchange.push_unreachable"
    assert delivery.next_attempt_at > delivery.updated_at
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.succeeded, attempt.permanent) == (False, False)
    assert delivery_attempt(delivery_id=delivery.pk) == "not-due"  # back-off is in the database
    with pytest.raises(NotRedrivable):
        delivery_redrive(delivery=delivery, actor=alice)


def test_the_sweeper_finds_due_and_lease_expired_work(alice, etda, soc):
    import datetime

    from django.utils import timezone

    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    assert deliveries_sweep() == 1
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )

    assert deliveries_sweep() == 1  # a worker died holding it: the lease ran out
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    assert deliveries_sweep() == 0


def test_a_circular_fans_out_and_reports_its_progress(alice, etda, soc, pki):
    from agencies.pki.services import agency_signing_key_import
    from exchange.selectors import letter_sending_progress
    from tests.conftest import make_agency

    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)")
    agency_signing_key_import(
        agency=dga,
        key_data=pki.dga.private_key_pem(),
        certificate_data=pki.dga.certificate_pem(),
        password=None,
        actor="test",
    )
    letter = letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject="ขอความร่วมมือตอบแบบสำรวจ", series="circular", unit_number="511"),
        parts=LetterParts(recipients=[RecipientInput(agency=soc), RecipientInput(agency=dga)]),
    )

    deliveries = letter_send(letter=letter, actor=alice)
    before = letter_sending_progress(letter=letter)
    delivery_attempt(delivery_id=deliveries[0].pk)
    during = letter_sending_progress(letter=letter)
    delivery_attempt(delivery_id=deliveries[1].pk)
    after = letter_sending_progress(letter=letter)

    letter.refresh_from_db()
    assert letter.number_display().endswith("/ว ๐๐๐๑")
    assert (before.total, before.done) == (2, 0)
    assert (during.done, during.complete) == (1, False)
    assert (after.done, after.failed, after.complete) == (2, 0, True)
    assert after.by_status == {"delivered": 2}
    assert Letter.objects.filter(direction=Direction.INCOMING).count() == 2


def test_a_recipient_that_keeps_failing_trips_the_breaker(alice, etda, soc):
    from django.utils import timezone

    from exchange.services.outbox import BREAKER_FAILURES

    soc.delivery_mode = DeliveryMode.PUSH
    soc.endpoint_url = "http://127.0.0.1:9/api/v1/exchange/envelopes"
    soc.save()
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    for _ in range(BREAKER_FAILURES):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert delivery_attempt(delivery_id=delivery.pk) == "retry"

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_attempt(delivery_id=delivery.pk) == "breaker-open"

    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == BREAKER_FAILURES
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.next_attempt_at > timezone.now()


def test_alice_withdraws_a_rejected_copy_and_resends_it(alice, bob, etda, soc):
    from exchange.services.acknowledgements import delivery_withdraw
    from exchange.services.sending import letter_resend

    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    incoming_letter_refuse(
        letter=copy, status=LetterStatus.REJECTED, reason="ไม่มีสิ่งที่ส่งมาด้วย", actor=bob
    )
    deliver_all()

    delivery.refresh_from_db()
    delivery_withdraw(delivery=delivery, reason="ส่งใหม่พร้อมสิ่งที่ส่งมาด้วย", actor=alice)
    [withdrawal] = Delivery.objects.filter(message_type=MessageType.WITHDRAWAL.value)
    assert delivery_attempt(delivery_id=withdrawal.pk) == "delivered"
    copy.refresh_from_db()
    assert copy.status == LetterStatus.WITHDRAWN

    resent = letter_resend(delivery=delivery, actor=alice)
    assert resent.message_id != delivery.message_id
    assert delivery_attempt(delivery_id=resent.pk) == "delivered"
    assert Letter.objects.filter(agency=soc, direction=Direction.INCOMING).count() == 2
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="letters.letter.withdrawn", agency=soc).exists()


def test_a_copy_still_in_play_cannot_be_withdrawn(alice, etda, soc):
    from exchange.errors import AcknowledgementOutOfOrder
    from exchange.services.acknowledgements import delivery_withdraw

    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)

    with pytest.raises(AcknowledgementOutOfOrder):
        delivery_withdraw(delivery=delivery, reason="ถอน", actor=alice)
    assert not Delivery.objects.filter(message_type=MessageType.WITHDRAWAL.value).exists()


def test_alice_disputes_bobs_receive_number(alice, bob, etda, soc):
    from exchange.services.acknowledgements import receive_number_dispute

    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    incoming_letter_register(letter=copy, actor=bob)
    deliver_all()
    delivery.refresh_from_db()

    dispute = receive_number_dispute(delivery=delivery, reason="เลขรับซ้ำกับหนังสือฉบับอื่น", actor=alice)
    assert delivery_attempt(delivery_id=dispute.pk) == "delivered"

    event = AuditEvent.objects.get(action="letters.letter.receive_number_disputed", agency=soc)
    assert event.after == {
        "disputed_number": delivery.receive_number,
        "reason": "เลขรับซ้ำกับหนังสือฉบับอื่น",
    }


def _receipt_from_socs_own_system(pki, delivery) -> bytes:
    """What SOC's own e-saraban system signs after fetching an item from its pull queue."""
    import hashlib
    import uuid

    from exchange.envelope import AcknowledgementData, Envelope, Header, envelope_sign

    from .conftest import ETDA, SOC

    return envelope_sign(
        Envelope(
            header=Header(
                message_id=str(uuid.uuid4()),
                message_type=MessageType.RECEIPT,
                created_at=now(),
                sender=SOC,
                recipient=ETDA,
                conversation_id=str(delivery.message_id),
                in_reply_to=str(delivery.message_id),
            ),
            acknowledgement=AcknowledgementData(
                acknowledged_message_id=str(delivery.message_id),
                acknowledged_envelope_sha256=hashlib.sha256(bytes(delivery.envelope)).hexdigest(),
                at=now(),
            ),
        ),
        key=pki.soc.private_key,
        certificate=pki.soc.certificate,
    )


def test_a_pull_recipient_fetches_its_queue_and_acknowledges_with_a_receipt(alice, etda, soc, pki):
    from exchange.services.pull import pull_acknowledge, pull_fetch

    soc.delivery_mode = DeliveryMode.PULL
    soc.save()
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    assert delivery_attempt(delivery_id=delivery.pk) == "awaiting-pull"  # nothing is pushed

    [item] = pull_fetch(agency=soc, actor="system:soc-esaraban")
    assert item.pk == delivery.pk
    assert pull_fetch(agency=soc, actor="system:soc-esaraban") == []  # leased to the first fetch

    acknowledged = pull_acknowledge(
        agency=soc,
        message_id=str(item.message_id),
        receipt=_receipt_from_socs_own_system(pki, item),
        actor="system:soc-esaraban",
    )
    assert acknowledged.status == DeliveryStatus.DELIVERED
    assert AuditEvent.objects.filter(action="exchange.pull.acknowledged").exists()


def test_an_unacknowledged_pull_item_is_offered_again_after_its_lease(alice, etda, soc, settings):
    from exchange.services.pull import pull_fetch

    settings.HUB_DELIVERY_LEASE_SECONDS = 0
    soc.delivery_mode = DeliveryMode.PULL
    soc.save()
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)

    first = pull_fetch(agency=soc, actor="system:soc-esaraban")
    again = pull_fetch(agency=soc, actor="system:soc-esaraban")

    assert [d.pk for d in first] == [d.pk for d in again] == [delivery.pk]


def test_a_receipt_for_other_bytes_does_not_dequeue(alice, etda, soc, pki):
    from exchange.errors import ReceiptMismatch
    from exchange.services.pull import pull_acknowledge, pull_fetch

    soc.delivery_mode = DeliveryMode.PULL
    soc.save()
    first, second = (
        letter_send(letter=draft_to(etda, soc, alice, subject=subject), actor=alice)[0]
        for subject in ("หนังสือฉบับที่ ๑", "หนังสือฉบับที่ ๒")
    )
    pull_fetch(agency=soc, actor="system:soc-esaraban")

    with pytest.raises(ReceiptMismatch):
        pull_acknowledge(
            agency=soc,
            message_id=str(first.message_id),
            receipt=_receipt_from_socs_own_system(pki, second),
            actor="system:soc-esaraban",
        )
    first.refresh_from_db()
    assert first.status == DeliveryStatus.SENDING

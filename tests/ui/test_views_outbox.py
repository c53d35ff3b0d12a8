"""Alice (สพธอ.) follows her sent letters: the outbox, each recipient's timeline, redrive,
withdraw, resend, and the circular's progress bar. Bob (สลค.) gets 404 for all of it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from exchange.models import Delivery, DeliveryStatus
from exchange.services.acknowledgements import (
    delivery_withdraw,
    incoming_letter_refuse,
    incoming_letter_register,
)
from exchange.services.sending import letter_resend, letter_send
from letters.models import Direction, Letter, LetterStatus, Urgency
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    letter_create_draft,
)
from tests.conftest import make_agency

from .conftest import deliver_acknowledgements, send_letter


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def sent(hosted, alice, bob, etda, soc):
    """Alice's letter, delivered to Bob; returns (Alice's letter, Bob's copy)."""
    copy = send_letter(etda, soc, alice, urgency=Urgency.MOST_URGENT)
    return Letter.objects.get(agency=etda, direction=Direction.OUTGOING), copy


def copy_of(letter):
    return Delivery.objects.filter(letter=letter, message_type="letter").latest("pk")


def test_the_outbox_lists_sent_letters_with_each_recipient_s_state(alice_client, sent):
    letter, _copy = sent

    response = alice_client.get(reverse("outbox"))

    page = response.content.decode()
    assert response.status_code == 200
    assert letter.subject in page
    assert reverse("letter-detail", args=[letter.pk]) in page
    assert "สลค." in page
    assert "ส่งถึงแล้ว ๑" in page  # one recipient, delivered


def test_the_timeline_shows_bob_s_receive_number(alice_client, sent, bob):
    letter, copy = sent
    entry = incoming_letter_register(letter=copy, actor=bob)
    deliver_acknowledgements()

    page = alice_client.get(reverse("letter-detail", args=[letter.pk])).content.decode()

    delivery = copy_of(letter)
    assert delivery.status == DeliveryStatus.REGISTERED
    assert f'data-delivery="{delivery.pk}"' in page
    assert "เข้าคิวรอส่ง" in page
    assert "ผู้รับลงรับแล้ว" in page
    assert f"เลขรับ {'๑' if entry.number == 1 else entry.number}" in page
    assert 'data-status="registered"' in page


def test_a_rejected_copy_is_withdrawn_with_a_reason_then_sent_again(alice_client, sent, bob):
    letter, copy = sent
    incoming_letter_refuse(
        letter=copy, status=LetterStatus.REJECTED, reason="ไม่ใช่เรื่องของสำนักงาน", actor=bob
    )
    deliver_acknowledgements()
    delivery = copy_of(letter)
    assert delivery.status == DeliveryStatus.REJECTED
    page = alice_client.get(reverse("letter-detail", args=[letter.pk])).content.decode()
    assert "ไม่ใช่เรื่องของสำนักงาน" in page
    assert reverse("delivery-withdraw", args=[letter.pk, delivery.pk]) in page

    response = alice_client.post(
        reverse("delivery-withdraw", args=[letter.pk, delivery.pk]),
        {"reason": "แก้ไขผู้รับ"},
        follow=True,
    )

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.WITHDRAWN
    assert delivery.reason == "แก้ไขผู้รับ"
    assert AuditEvent.objects.filter(action="exchange.delivery.withdrawn").count() == 1
    assert "ถอนหนังสือที่ส่งถึง" in response.content.decode()

    resend = reverse("delivery-resend", args=[letter.pk, delivery.pk])
    alice_client.post(resend)
    second = alice_client.post(resend, follow=True)  # a double click

    copies = Delivery.objects.filter(letter=letter, message_type="letter").order_by("pk")
    assert [c.status for c in copies] == [DeliveryStatus.WITHDRAWN, DeliveryStatus.QUEUED]
    assert AuditEvent.objects.filter(action="letters.letter.resent").count() == 1
    assert "ส่งใหม่ไปแล้ว" in second.content.decode()


def test_withdrawing_needs_a_reason(alice_client, sent, bob):
    letter, copy = sent
    incoming_letter_refuse(letter=copy, status=LetterStatus.REJECTED, reason="ผิด", actor=bob)
    deliver_acknowledgements()
    delivery = copy_of(letter)

    response = alice_client.post(
        reverse("delivery-withdraw", args=[letter.pk, delivery.pk]), {"reason": ""}, follow=True
    )

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REJECTED
    assert "กรุณาระบุเหตุผลที่ถอนหนังสือ" in response.content.decode()


def test_a_delivered_copy_cannot_be_withdrawn_and_says_so(alice_client, sent):
    letter, _copy = sent
    delivery = copy_of(letter)

    response = alice_client.post(
        reverse("delivery-withdraw", args=[letter.pk, delivery.pk]), {"reason": "x"}, follow=True
    )

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert 'class="message error"' in response.content.decode()


def test_a_failed_copy_shows_its_error_code_and_is_tried_again(alice_client, sent):
    letter, _copy = sent
    delivery = copy_of(letter)
    # Arrange: the recipient's node had failed for good (what delivery_finish records).
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, last_error_code="http.503"
    )
    page = alice_client.get(reverse("letter-detail", args=[letter.pk])).content.decode()
    assert "http.503" in page
    assert "ส่งไม่สำเร็จ" in page

    alice_client.post(reverse("delivery-redrive", args=[letter.pk, delivery.pk]))

    delivery.refresh_from_db()
    assert delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.DELIVERED)
    assert AuditEvent.objects.filter(action="exchange.delivery.redriven").count() == 1


def test_redriving_a_delivered_copy_is_refused_in_thai(alice_client, sent):
    letter, _copy = sent
    delivery = copy_of(letter)

    response = alice_client.post(
        reverse("delivery-redrive", args=[letter.pk, delivery.pk]), follow=True
    )

    assert "ส่งซ้ำได้เฉพาะรายการที่ส่งไม่สำเร็จ" in response.content.decode()


def test_the_progress_partial_polls_until_every_recipient_is_done(
    alice_client, hosted, alice, etda, soc
):
    others = [make_agency(f"agency{n}", name_th=f"กรมทดสอบที่ {n}") for n in range(3)]
    draft = letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject="หนังสือเวียนทดสอบ", series="circular"),
        parts=LetterParts(recipients=[RecipientInput(agency=a) for a in [soc, *others]]),
    )
    letter_send(letter=draft, actor=alice)
    url = reverse("letter-progress", args=[draft.pk])

    polling = alice_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in polling
    assert "ดำเนินการแล้ว ๐ จาก ๔ ราย" in polling

    Delivery.objects.filter(letter=draft).update(status=DeliveryStatus.DELIVERED)
    done = alice_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done
    assert "ดำเนินการแล้ว ๔ จาก ๔ ราย" in done
    assert "data-complete" in done


def test_bob_gets_404_for_alice_s_letter_and_its_copies(client, sent, bob):
    letter, _copy = sent
    delivery = copy_of(letter)
    client.force_login(bob)

    assert client.get(reverse("letter-progress", args=[letter.pk])).status_code == 404
    for name in ("delivery-redrive", "delivery-withdraw", "delivery-resend"):
        assert client.post(reverse(name, args=[letter.pk, delivery.pk])).status_code == 404
    assert letter.subject not in client.get(reverse("outbox")).content.decode()


def test_a_copy_must_belong_to_the_letter_in_the_address(alice_client, sent, alice, etda, soc):
    letter, _copy = sent
    other = letter_create_draft(agency=etda, actor=alice, values=LetterFields(subject="อื่น"))
    delivery = copy_of(letter)

    response = alice_client.post(reverse("delivery-redrive", args=[other.pk, delivery.pk]))

    assert response.status_code == 404


def test_resending_twice_through_the_service_queues_one_copy(sent, bob, alice):
    letter, copy = sent
    incoming_letter_refuse(letter=copy, status=LetterStatus.REJECTED, reason="ผิด", actor=bob)
    deliver_acknowledgements()
    withdrawn = delivery_withdraw(delivery=copy_of(letter), reason="แก้ไข", actor=alice)

    first = letter_resend(delivery=withdrawn, actor=alice)
    second = letter_resend(delivery=withdrawn, actor=alice)

    assert first.pk == second.pk
    assert Delivery.objects.filter(letter=letter, message_type="letter").count() == 2

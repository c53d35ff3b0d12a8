"""Every state-changing service writes exactly one audit event of its kind, about its target.

One row per service: set up what it needs, call it once, and check that exactly one new event
with the expected action appeared, naming the expected agency and target. A service added
without its audit row (or writing it twice) fails here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Max

from agencies.models import AgencyRole, DeliveryMode
from agencies.services import apikey_create, apikey_revoke
from audit.models import AuditEvent
from exchange.models import Delivery, DeliveryStatus
from exchange.services.acknowledgements import (
    delivery_withdraw,
    incoming_letter_refuse,
    incoming_letter_register,
    receive_number_dispute,
)
from exchange.services.outbox import delivery_attempt, delivery_redrive
from exchange.services.pull import pull_fetch
from exchange.services.sending import letter_resend, letter_send
from exchange.webhooks.services import webhook_subscribe, webhook_unsubscribe
from letters.models import (
    AttachmentRole,
    Direction,
    Letter,
    LetterStatus,
    RegisterKind,
    RegisterSeries,
)
from letters.services.attachments import attachment_add
from letters.services.letters import LetterFields, letter_allocate_number, letter_update_draft
from letters.services.preferences import display_preference_set
from letters.services.registers import (
    RegisterColumns,
    register_entry_cancel,
    register_entry_correct,
    register_entry_record,
)
from letters.services.routing import endorsement_add, letter_assign
from tests.conftest import make_user
from tests.exchange.test_delivery_flow import PDF, draft_to

COLUMNS = RegisterColumns(
    letter_number="กค ๐๔๐๖.๒/ว ๑๒๓",
    letter_date=None,
    from_party="กรมบัญชีกลาง",
    to_party="สพธอ.",
    subject="แนวทางปฏิบัติการเบิกจ่ายเงิน",
)


@dataclass
class World:
    etda: Any
    soc: Any
    alice: Any
    bob: Any
    pki: Any = None

    def draft(self) -> Any:
        return draft_to(self.etda, self.soc, self.alice)

    def delivered(self) -> Delivery:
        [delivery] = letter_send(letter=self.draft(), actor=self.alice)
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        return delivery

    def refused_delivery(self) -> Delivery:
        delivery = self.delivered()
        incoming_letter_refuse(
            letter=self.incoming_copy_of(delivery),
            status=LetterStatus.REJECTED,
            reason="ไม่ใช่เรื่องในอำนาจหน้าที่",
            actor=self.bob,
        )
        delivery_attempt(delivery_id=Delivery.objects.get(message_type="rejection").pk)
        delivery.refresh_from_db()
        return delivery

    def incoming_copy_of(self, delivery: Delivery) -> Letter:
        return Letter.objects.filter(agency=self.soc, direction=Direction.INCOMING).latest("pk")


@dataclass(frozen=True)
class Case:
    action: str
    run: Callable[[World], Any]  # returns the target (a model instance) of the event
    agency: str  # "etda" or "soc"


def _registered(world: World) -> Delivery:
    delivery = world.delivered()
    incoming_letter_register(letter=world.incoming_copy_of(delivery), actor=world.bob)
    delivery_attempt(delivery_id=Delivery.objects.get(message_type="registration").pk)
    delivery.refresh_from_db()
    return delivery


def _updated(world: World) -> Any:
    letter = world.draft()
    return letter_update_draft(
        letter=letter, actor=world.alice, values=LetterFields(subject="เรื่องที่แก้ไขแล้ว ๒")
    )


def _attachment(world: World) -> Any:
    letter = world.draft()
    return attachment_add(
        letter=letter,
        actor=world.alice,
        stream=io.BytesIO(PDF),
        name="สิ่งที่ส่งมาด้วย.pdf",
        media_type="application/pdf",
        role=AttachmentRole.ENCLOSURE,
    )


def _numbered(world: World) -> Any:
    letter = world.draft()
    letter_allocate_number(letter=letter, actor=world.alice)
    return letter


def _sent(world: World) -> Any:
    letter = world.draft()
    letter_send(letter=letter, actor=world.alice)
    return letter


def _failed_then_redriven(world: World) -> Delivery:
    world.soc.delivery_mode = DeliveryMode.PUSH
    world.soc.endpoint_url = "http://127.0.0.1:9/api/v1/exchange/envelopes"
    world.soc.save()
    [delivery] = letter_send(letter=world.draft(), actor=world.alice)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    return delivery_redrive(delivery=delivery, actor=world.alice)


def _withdrawn(world: World) -> Delivery:
    return delivery_withdraw(
        delivery=world.refused_delivery(), reason="ส่งใหม่พร้อมเอกสารแนบ", actor=world.alice
    )


def _resent(world: World) -> Any:
    withdrawn = _withdrawn(world)
    letter_resend(delivery=withdrawn, actor=world.alice)
    return withdrawn.letter


def _disputed(world: World) -> Delivery:
    registered = _registered(world)
    receive_number_dispute(delivery=registered, reason="เลขรับซ้ำกับฉบับอื่น", actor=world.alice)
    return registered


def _register_line(world: World) -> Any:
    return register_entry_record(
        agency=world.etda,
        register=RegisterKind.RECEIVE,
        series=RegisterSeries.NORMAL,
        columns=COLUMNS,
        actor=world.alice,
    ).entry


def _register_cancel(world: World) -> Any:
    return register_entry_cancel(entry=_register_line(world), reason="ลงซ้ำ", actor=world.alice)


def _register_correct(world: World) -> Any:
    return register_entry_correct(
        entry=_register_line(world), columns=COLUMNS, annotation="แก้ชื่อเรื่อง", actor=world.alice
    )


def _key_created(world: World) -> Any:
    return apikey_create(agency=world.etda, name="ระบบสารบรรณ", actor=world.alice).api_key


def _key_revoked(world: World) -> Any:
    return apikey_revoke(api_key=_key_created(world), actor=world.alice)


def _subscribed(world: World) -> Any:
    return webhook_subscribe(
        agency=world.etda,
        url="https://esaraban.etda.example/hooks",
        events=["letter.received"],
        actor=world.alice,
    ).subscription


def _unsubscribed(world: World) -> Any:
    return webhook_unsubscribe(subscription=_subscribed(world), actor=world.alice)


def _pulled(world: World) -> Any:
    world.soc.delivery_mode = DeliveryMode.PULL
    world.soc.save()
    letter_send(letter=world.draft(), actor=world.alice)
    pull_fetch(agency=world.soc, actor="system:soc-esaraban")
    return None


def _endorsed(world: World) -> Any:
    delivery = world.delivered()
    copy = world.incoming_copy_of(delivery)
    endorsement_add(letter=copy, actor=world.bob, text="เรียน ผอ. เพื่อโปรดพิจารณา")
    return copy


def _assigned(world: World) -> Any:
    delivery = world.delivered()
    copy = world.incoming_copy_of(delivery)
    colleague = make_user("somsri", (world.soc, AgencyRole.CLERK))
    letter_assign(letter=copy, actor=world.bob, assignee=colleague, note="ดำเนินการต่อ")
    return copy


def _preference(world: World) -> Any:
    display_preference_set(user=world.alice, thai_digits=True)
    return None


def _submitted(world: World) -> Any:
    from exchange.envelope import envelope_sign
    from exchange.services.submission import envelope_submit
    from tests.exchange.conftest import ETDA, SOC, letter_envelope

    pki = world.pki
    data = envelope_sign(
        letter_envelope(sender=ETDA, recipient=SOC),
        key=pki.etda.private_key,
        certificate=pki.etda.certificate,
    )
    return envelope_submit(agency=world.etda, data=data, actor="system:etda-esaraban")


def _webhook_redriven(world: World) -> Any:
    from exchange.webhooks.models import WebhookDelivery, WebhookDeliveryStatus
    from exchange.webhooks.services import webhook_redrive

    created = webhook_subscribe(
        agency=world.etda,
        url="https://esaraban.etda.example/hooks",
        events=["delivery.status_changed"],
        actor=world.alice,
    ).subscription
    world.delivered()  # a status change: one event for the subscription
    event = WebhookDelivery.objects.get(subscription=created)
    WebhookDelivery.objects.filter(pk=event.pk).update(status=WebhookDeliveryStatus.FAILED)
    webhook_redrive(delivery=event, actor=world.alice)
    return None


def _certificate_registered(world: World) -> Any:
    from agencies.pki.services import agency_certificate_register
    from tests.conftest import make_agency

    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล")
    return agency_certificate_register(
        agency=dga, certificate=world.pki.dga.certificate, actor=world.alice
    )


def _orphans_swept(world: World) -> Any:
    import datetime
    import os

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from exchange.services.storage_sweep import orphan_files_sweep

    name = default_storage.save("sealed/2026/01/สำเนาที่ค้างอยู่.bin", ContentFile(b"\x00" * 32))
    then = (timezone.now() - datetime.timedelta(days=2)).timestamp()
    os.utime(default_storage.path(name), (then, then))
    orphan_files_sweep(older_than=datetime.timedelta(days=1), dry_run=False, limit=10)
    return None


CASES = {
    "letter_update_draft": Case("letters.letter.updated", _updated, "etda"),
    "attachment_add": Case("letters.attachment.added", _attachment, "etda"),
    "letter_allocate_number": Case("letters.letter.numbered", _numbered, "etda"),
    "letter_send": Case("letters.letter.sent", _sent, "etda"),
    "incoming_letter_register": Case(
        "letters.letter.registered",
        lambda w: (d := _registered(w)) and w.incoming_copy_of(d),
        "soc",
    ),
    "incoming_letter_refuse": Case(
        "letters.letter.rejected", lambda w: w.incoming_copy_of(w.refused_delivery()), "soc"
    ),
    "receipt → delivered": Case("exchange.delivery.delivered", lambda w: w.delivered(), "etda"),
    # Recorded by the sender's hub, for the sender: its delivery moved on.
    "registration → registered": Case("exchange.delivery.registered", _registered, "etda"),
    "delivery_redrive": Case("exchange.delivery.redriven", _failed_then_redriven, "etda"),
    "delivery_withdraw": Case("exchange.delivery.withdrawn", _withdrawn, "etda"),
    "letter_resend": Case("letters.letter.resent", _resent, "etda"),
    "receive_number_dispute": Case("exchange.delivery.receive_number_disputed", _disputed, "etda"),
    "register_entry_record": Case("registers.receive.allocated", _register_line, "etda"),
    "register_entry_cancel": Case(
        "registers.receive.cancelled", lambda w: _register_cancel(w).entry, "etda"
    ),
    "register_entry_correct": Case("registers.receive.corrected", _register_correct, "etda"),
    "apikey_create": Case("agencies.apikey.created", _key_created, "etda"),
    "apikey_revoke": Case("agencies.apikey.revoked", _key_revoked, "etda"),
    "webhook_subscribe": Case("exchange.webhook.subscribed", _subscribed, "etda"),
    "webhook_unsubscribe": Case("exchange.webhook.unsubscribed", _unsubscribed, "etda"),
    "pull_fetch": Case("exchange.pull.fetched", _pulled, "soc"),
    "endorsement_add": Case("letters.letter.endorsed", _endorsed, "soc"),
    "letter_assign": Case("letters.letter.assigned", _assigned, "soc"),
    "display_preference_set": Case("letters.display_preference.changed", _preference, ""),
    "envelope_submit": Case("exchange.envelope.submitted", _submitted, "etda"),
    "webhook_redrive": Case("exchange.webhook.redriven", _webhook_redriven, "etda"),
    "agency_certificate_register": Case(
        "pki.certificate.registered", _certificate_registered, "dga"
    ),
    "orphan_files_sweep": Case("storage.orphans_swept", _orphans_swept, ""),
}


@pytest.fixture
def world(request, etda, soc) -> World:
    request.getfixturevalue("hosted")  # ETDA and SOC hosted here with their keys
    return World(
        pki=request.getfixturevalue("pki"),
        etda=etda,
        soc=soc,
        alice=make_user("alice", (etda, AgencyRole.CLERK)),
        bob=make_user("bob", (soc, AgencyRole.CLERK)),
    )


@pytest.mark.parametrize("name", list(CASES))
def test_the_service_writes_exactly_one_matching_audit_event(world, name):
    case = CASES[name]
    before = AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0

    target = case.run(world)

    # The setup of later steps may write the same action earlier (a letter sent before it is
    # registered): the event that counts is the last of its kind, and there must be one
    # per call of the service under test.
    events = AuditEvent.objects.filter(action=case.action, sequence__gt=before)
    assert events.exists(), f"{name} wrote no {case.action} event"
    last = events.order_by("-sequence").first()
    assert last is not None
    if case.agency:
        assert last.agency is not None and last.agency.key == case.agency
    if target is not None:
        assert (last.target_type, last.target_id) == (target._meta.label_lower, str(target.pk))
        same_target = events.filter(target_type=last.target_type, target_id=last.target_id)
        assert same_target.count() == 1, f"{name} wrote {case.action} twice for one target"

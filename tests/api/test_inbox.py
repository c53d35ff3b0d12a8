"""The inbox over the API: SOC's own e-saraban system lists, reads, downloads and answers
the letters ETDA sent it; ETDA's system never reaches any of them.

Letters arrive through the real flow (tests/api/conftest.py ``arrive``): Alice, ETDA's clerk,
sends; the outbox task body delivers in-process; SOC's copy is verified and filed.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes
from django.utils import timezone

from agencies.models import ApiKey, IdempotencyRecord
from audit.models import AuditEvent
from exchange.envelope import MessageType
from exchange.models import Delivery, DeliveryStatus, InboundEnvelope
from letters.models import Direction, Letter, LetterStatus, RegisterEntry, RegisterKind
from letters.selectors import inbox_letters
from tests.exchange.test_delivery_flow import PDF

from .conftest import arrive, deliver_queued

SUBJECT = "ขอเชิญประชุมคณะกรรมการพัฒนารัฐบาลดิจิทัล ครั้งที่ ๑/๒๕๗๐"
REASON = "ไม่ใช่เรื่องในอำนาจหน้าที่ของสำนักเลขาธิการคณะรัฐมนตรี"


def key_actor(agency_key: str) -> str:
    return ApiKey.objects.get(agency__key=agency_key).actor_label


def acknowledgements(letter: Letter) -> list[Delivery]:
    return list(
        Delivery.objects.filter(letter=letter).exclude(message_type=MessageType.LETTER.value)
    )


# --- the list ---


def test_soc_lists_its_inbox_most_urgent_first_then_by_arrival(
    soc_system, etda_system, alice_sends, etda, soc
):
    normal = arrive(etda, soc, alice_sends, urgency="001", subject="เรื่องปกติ ฉบับที่ ๑")[1]
    most = arrive(etda, soc, alice_sends, urgency="004", subject="เรื่องด่วนที่สุด")[1]
    urgent = arrive(etda, soc, alice_sends, urgency="002", subject="เรื่องด่วน")[1]
    later = arrive(etda, soc, alice_sends, urgency="001", subject="เรื่องปกติ ฉบับที่ ๒")[1]

    response = soc_system.get("/api/v1/inbox")

    assert response.status_code == 200
    page = response.json()
    assert [item["id"] for item in page["results"]] == [most.pk, urgent.pk, normal.pk, later.pk]
    first = page["results"][0]
    assert first["subject"] == "เรื่องด่วนที่สุด"
    assert first["urgency"] == "004"
    assert first["urgency_label"] == "ด่วนที่สุด"
    assert first["status"] == "received"
    assert first["sender"]["key"] == "etda"
    assert first["sender"]["name_th"] == "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"
    # The number as printed, Thai digits, and the same in Arabic digits.
    assert first["number"] == most.number_display(thai_digits=True)
    assert first["number"].startswith("ดศ") and "๕๑๑.๐๔/" in first["number"]
    assert first["number_ascii"] == most.number_display(thai_digits=False)
    assert first["url"] == f"http://testserver/api/v1/inbox/{most.pk}"
    # ETDA sent them; its own inbox holds none of SOC's copies.
    assert etda_system.get("/api/v1/inbox").json()["results"] == []


def test_following_next_visits_every_letter_once_across_urgency_ties(
    soc_system, alice_sends, etda, soc
):
    for index, urgency in enumerate(["001", "001", "004", "001", "002", "001", "004"]):
        arrive(etda, soc, alice_sends, urgency=urgency, subject=f"หนังสือฉบับที่ {index}")
    expected = list(inbox_letters(agency=soc).values_list("pk", flat=True))

    seen, url, pages = [], "/api/v1/inbox?page_size=2", []
    while url:
        page = soc_system.get(url).json()
        pages.append(page)
        seen += [item["id"] for item in page["results"]]
        url = page["next"]

    assert seen == expected
    assert len(pages) == 4
    # And back again from the last page, by `previous`.
    back, url = [], pages[-1]["previous"]
    while url:
        page = soc_system.get(url).json()
        back = [item["id"] for item in page["results"]] + back
        url = page["previous"]
    assert back == expected[:-1]


def test_a_new_arrival_does_not_shift_the_pages_being_read(soc_system, alice_sends, etda, soc):
    for index in range(3):
        arrive(etda, soc, alice_sends, urgency="001", subject=f"หนังสือปกติ {index}")
    first = soc_system.get("/api/v1/inbox?page_size=2").json()

    # A ด่วนที่สุด letter arrives while the system reads: it sorts before the cursor.
    arrive(etda, soc, alice_sends, urgency="004", subject="หนังสือด่วนที่สุดระหว่างอ่าน")
    second = soc_system.get(first["next"]).json()

    ids = [item["id"] for item in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.parametrize(
    "position",
    [
        "not json",
        "[1, 2]",  # too few values
        '["x", "y", "z"]',  # values that fit no field
        '[0, "2026-13-45T00:00:00", 1]',
        '{"a": 1}',
    ],
)
def test_a_forged_cursor_is_a_404_not_a_crash(soc_system, arrived, position):
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()

    response = soc_system.get("/api/v1/inbox", {"cursor": cursor})

    assert response.status_code == 404
    assert response.json()["code"] == "api.not_found"


def test_the_inbox_filters_by_urgency_status_sender_and_day(
    soc_system, alice_sends, etda, soc, bob
):
    from exchange.services.acknowledgements import incoming_letter_register

    most = arrive(etda, soc, alice_sends, urgency="004")[1]
    normal = arrive(etda, soc, alice_sends, urgency="001", subject="เรื่องทั่วไป")[1]
    incoming_letter_register(letter=normal, actor=bob)
    today = timezone.localdate()

    def ids(query: str) -> list[int]:
        response = soc_system.get(f"/api/v1/inbox?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids("urgency=004") == [most.pk]
    assert ids("urgency=004,001") == [most.pk, normal.pk]
    assert ids("status=registered") == [normal.pk]
    assert ids("status=received,registered&secrecy=001") == [most.pk, normal.pk]
    assert ids("sender=etda") == [most.pk, normal.pk]
    assert ids("sender=dga") == []
    assert ids(f"received_from={today}&received_to={today}") == [most.pk, normal.pk]
    tomorrow = today + datetime.timedelta(days=1)
    assert ids(f"received_from={tomorrow}") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("urgency=005", "urgency"),
        ("status=draft", "status"),
        ("received_from=๒๕๖๙-๐๑-๐๑", "received_from"),
        ("received_to=9999-12-31", "received_to"),
        ("received_from=2026-02-02&received_to=2026-02-01", "received_to"),
    ],
)
def test_invalid_filters_are_named(soc_system, soc, query, field):
    response = soc_system.get(f"/api/v1/inbox?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    assert field in response.json()["details"]["fields"]


def test_no_key_no_inbox(anonymous, soc):
    response = anonymous.get("/api/v1/inbox")

    assert response.status_code == 401
    assert response.json()["code"] == "auth.missing_key"


# --- one letter ---


def test_the_detail_has_every_field_the_files_and_the_verification_evidence(
    soc_system, arrived, pki
):
    delivery, copy = arrived
    inbound = InboundEnvelope.objects.get(letter=copy)

    response = soc_system.get(f"/api/v1/inbox/{copy.pk}")

    assert response.status_code == 200
    letter = response.json()
    assert letter["id"] == copy.pk
    assert letter["subject"] == SUBJECT
    assert letter["body"] == "ด้วยสำนักงานฯ กำหนดจัดประชุม จึงเรียนมาเพื่อโปรดพิจารณา"
    assert letter["signer_name"] == "นายทดสอบ ระบบดี"
    assert letter["signer_position"] == "ผู้อำนวยการ"
    assert letter["salutation"] == "เรียน"
    assert letter["closing"] == "ขอแสดงความนับถือ"
    assert (letter["ministry_code"], letter["running_number"]) == ("ดศ", 1)
    assert letter["status"] == "received"
    assert letter["registration"] is None
    assert letter["acknowledgements"] == []
    [attachment] = letter["attachments"]
    assert attachment["name"] == "หนังสือเชิญประชุม.pdf"
    assert attachment["role"] == "main"
    assert attachment["media_type"] == "application/pdf"
    assert attachment["size"] == len(PDF)
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    stored = copy.attachments.get()
    assert attachment["url"] == (
        f"http://testserver/api/v1/inbox/{copy.pk}/attachments/{stored.pk}"
    )
    verification = letter["verification"]
    assert verification["message_id"] == str(delivery.message_id)
    assert verification["envelope_sha256"] == delivery.envelope_sha256 == inbound.envelope_sha256
    assert "สพธอ. signer" in verification["signer_certificate_subject"]
    assert verification["signer_certificate_sha256"] == (
        pki.etda.certificate.fingerprint(hashes.SHA256()).hex()
    )
    assert verification["signature_shape"] == "xades"
    assert verification["signing_time"] is not None
    assert verification["checks"] == inbound.evidence["checks"] != []
    assert letter["envelope_url"] == f"http://testserver/api/v1/inbox/{copy.pk}/envelope"


def test_the_envelope_downloads_byte_for_byte_whatever_accept_says(soc_system, arrived):
    delivery, copy = arrived

    response = soc_system.get(f"/api/v1/inbox/{copy.pk}/envelope", HTTP_ACCEPT="application/xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response.content == bytes(delivery.envelope)
    digest = hashlib.sha256(response.content).digest()
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert f"{delivery.message_id}.xml" in response["Content-Disposition"]


def test_an_attachment_streams_under_its_thai_name(soc_system, arrived):
    _delivery, copy = arrived
    stored = copy.attachments.get()

    response = soc_system.get(
        f"/api/v1/inbox/{copy.pk}/attachments/{stored.pk}", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert response.streaming  # a FileResponse: never read into memory
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    # RFC 6266 / 5987: the Thai name survives as UTF-8.
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "%E0%B8" in response["Content-Disposition"]


def test_unknown_letters_and_files_are_404(soc_system, arrived):
    _delivery, copy = arrived
    stored = copy.attachments.get()

    for path in (
        "/api/v1/inbox/999999",
        "/api/v1/inbox/99999999999999999999",
        f"/api/v1/inbox/{copy.pk}/attachments/999999",
        f"/api/v1/inbox/999999/attachments/{stored.pk}",
    ):
        response = soc_system.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "api.not_found", path


def test_reading_a_secret_letter_is_audited_every_time(soc_system, soc_key, alice_sends, etda, soc):
    _delivery, copy = arrive(
        etda, soc, alice_sends, secrecy="002", subject="แผนการตรวจสอบระบบสารสนเทศ"
    )
    stored = copy.attachments.get()

    for path in ("", "/envelope", f"/attachments/{stored.pk}", ""):
        assert soc_system.get(f"/api/v1/inbox/{copy.pk}{path}").status_code == 200

    reads = AuditEvent.objects.filter(action="letters.letter.secret_read").order_by("id")
    assert [event.after["part"] for event in reads] == [
        "details",
        "envelope",
        f"attachment:{stored.pk}",
        "details",
    ]
    assert {(event.agency, event.actor_label, event.target_id) for event in reads} == {
        (soc, soc_key.api_key.actor_label, str(copy.pk))
    }


def test_reading_an_ordinary_letter_leaves_no_read_row(soc_system, arrived):
    _delivery, copy = arrived

    soc_system.get(f"/api/v1/inbox/{copy.pk}")

    assert not AuditEvent.objects.filter(action="letters.letter.secret_read").exists()


# --- ลงรับ ---


def test_soc_registers_and_gets_its_receive_number_and_etda_sees_it(soc_system, arrived, soc, etda):
    delivery, copy = arrived

    response = soc_system.post(f"/api/v1/inbox/{copy.pk}/register")

    assert response.status_code == 200, response.json()
    answer = response.json()
    entry = RegisterEntry.objects.get(letter=copy)
    assert answer["letter_id"] == copy.pk
    assert answer["receive_number"] == entry.number == 1
    assert answer["receive_number_thai"] == "๑"
    assert answer["year"] == entry.year == timezone.localdate().year
    assert answer["year_be"] == entry.year + 543
    assert answer["series"] == "normal"
    assert answer["status"] == "registered"
    assert datetime.datetime.fromisoformat(answer["registered_at"]) == entry.registered_at
    copy.refresh_from_db()
    assert copy.status == LetterStatus.REGISTERED
    assert (entry.register, entry.agency, entry.subject) == (RegisterKind.RECEIVE, soc, SUBJECT)
    event = AuditEvent.objects.get(action="letters.letter.registered")
    assert (event.agency, event.actor_label) == (soc, key_actor("soc"))
    assert event.after == {"status": "registered", "receive_number": 1}
    [registration] = acknowledgements(copy)
    assert registration.message_type == MessageType.REGISTRATION.value
    assert (registration.sender, registration.recipient) == (soc, etda)

    # The signed registration reaches ETDA: its delivery shows SOC's receive number.
    assert deliver_queued() == ["delivered"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.receive_number) == (DeliveryStatus.REGISTERED, "1")
    detail = soc_system.get(f"/api/v1/inbox/{copy.pk}").json()
    assert detail["registration"] == answer
    assert [a["message_type"] for a in detail["acknowledgements"]] == ["registration"]
    assert detail["acknowledgements"][0]["status"] == "delivered"


def test_registering_twice_returns_the_same_number_and_sends_one_notice(soc_system, arrived):
    _delivery, copy = arrived

    first = soc_system.post(f"/api/v1/inbox/{copy.pk}/register")
    again = soc_system.post(f"/api/v1/inbox/{copy.pk}/register")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert RegisterEntry.objects.filter(letter=copy).count() == 1
    assert len(acknowledgements(copy)) == 1
    assert AuditEvent.objects.filter(action="letters.letter.registered").count() == 1


def test_an_idempotency_key_replays_the_first_answer(soc_system, arrived, alice_sends, etda, soc):
    _delivery, copy = arrived
    _other_delivery, other = arrive(etda, soc, alice_sends, subject="หนังสือฉบับที่สอง")
    key = {"HTTP_IDEMPOTENCY_KEY": "ลงรับ-1".encode().hex()}

    first = soc_system.post(f"/api/v1/inbox/{copy.pk}/register", **key)
    replay = soc_system.post(f"/api/v1/inbox/{copy.pk}/register", **key)
    elsewhere = soc_system.post(f"/api/v1/inbox/{other.pk}/register", **key)

    assert (first["Idempotent-Replayed"], replay["Idempotent-Replayed"]) == ("false", "true")
    assert replay.content == first.content
    assert replay["Content-Type"] == first["Content-Type"] == "application/json"
    assert RegisterEntry.objects.filter(letter=copy).count() == 1
    assert IdempotencyRecord.objects.filter(key=key["HTTP_IDEMPOTENCY_KEY"]).count() == 1
    # The same key for another letter is another request: refused, that letter untouched.
    assert elsewhere.status_code == 409
    assert elsewhere.json()["code"] == "api.idempotency_key_reused"
    other.refresh_from_db()
    assert other.status == LetterStatus.RECEIVED


# --- ปฏิเสธ / แจ้งหนังสือผิด ---


@pytest.mark.parametrize(
    ("path", "status", "message_type"),
    [
        ("reject", LetterStatus.REJECTED, MessageType.REJECTION),
        ("wrong-recipient", LetterStatus.WRONG_RECIPIENT, MessageType.WRONG_RECIPIENT),
    ],
)
def test_soc_refuses_with_a_reason_and_etda_sees_why(
    soc_system, arrived, soc, path, status, message_type
):
    delivery, copy = arrived

    response = soc_system.post(
        f"/api/v1/inbox/{copy.pk}/{path}", {"reason": f"  {REASON}  "}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status.value
    copy.refresh_from_db()
    assert copy.status == status
    [notice] = acknowledgements(copy)
    assert notice.message_type == message_type.value
    assert response.json()["acknowledgements"][0]["message_id"] == str(notice.message_id)
    event = AuditEvent.objects.get(action=f"letters.letter.{status.value}")
    assert (event.agency, event.actor_label) == (soc, key_actor("soc"))

    deliver_queued()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (status.value, REASON)  # trimmed


@pytest.mark.parametrize("path", ["reject", "wrong-recipient"])
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_refusal_needs_a_reason(soc_system, arrived, path, body):
    _delivery, copy = arrived

    response = soc_system.post(f"/api/v1/inbox/{copy.pk}/{path}", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    assert "reason" in response.json()["details"]["fields"]
    copy.refresh_from_db()
    assert copy.status == LetterStatus.RECEIVED
    assert acknowledgements(copy) == []


def test_a_refused_letter_cannot_be_registered_nor_refused_again(soc_system, arrived):
    _delivery, copy = arrived
    soc_system.post(f"/api/v1/inbox/{copy.pk}/reject", {"reason": REASON}, format="json")

    register = soc_system.post(f"/api/v1/inbox/{copy.pk}/register")
    again = soc_system.post(
        f"/api/v1/inbox/{copy.pk}/wrong-recipient", {"reason": REASON}, format="json"
    )

    assert (register.status_code, again.status_code) == (409, 409)
    assert register.json()["code"] == again.json()["code"] == "letters.not_registrable"
    assert not RegisterEntry.objects.filter(letter=copy).exists()
    assert len(acknowledgements(copy)) == 1


# --- ETDA's system never reaches SOC's inbox ---


def test_etda_cannot_read_or_answer_socs_letter(etda_system, arrived):
    _delivery, copy = arrived
    stored = copy.attachments.get()
    base = f"/api/v1/inbox/{copy.pk}"

    reads = [
        etda_system.get(base),
        etda_system.get(f"{base}/envelope"),
        etda_system.get(f"{base}/attachments/{stored.pk}"),
    ]
    writes = [
        etda_system.post(f"{base}/register"),
        etda_system.post(f"{base}/reject", {"reason": REASON}, format="json"),
        etda_system.post(f"{base}/wrong-recipient", {"reason": REASON}, format="json"),
    ]

    for response in reads + writes:
        assert response.status_code == 404
        assert response.json() == {
            "code": "api.not_found",
            "message": "ไม่พบข้อมูลที่ต้องการ",
            "details": response.json()["details"],
        }
    copy.refresh_from_db()
    assert copy.status == LetterStatus.RECEIVED
    assert not RegisterEntry.objects.filter(letter=copy).exists()
    assert acknowledgements(copy) == []
    answers = [f"letters.letter.{what}" for what in ("registered", "rejected", "wrong_recipient")]
    assert not AuditEvent.objects.filter(action__in=answers).exists()


def test_etdas_own_outgoing_letter_is_not_in_its_inbox(etda_system, arrived):
    delivery, _copy = arrived
    outgoing = Letter.objects.get(pk=delivery.letter_id)
    assert outgoing.direction == Direction.OUTGOING

    response = etda_system.get(f"/api/v1/inbox/{outgoing.pk}")

    assert response.status_code == 404

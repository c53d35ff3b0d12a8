"""The letter print view: the official layout of an external letter, from the fields."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from agencies.models import AgencyRole
from letters.models import Direction, Letter, LetterKind, Secrecy
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    ReferenceInput,
    letter_allocate_number,
    letter_create_draft,
)
from tests.conftest import make_user

from .conftest import SAMPLE_SUBJECT, send_letter


@pytest.fixture
def sent(hosted, alice, etda, soc):
    etda.address = "อาคารเดอะ ไนน์ ทาวเวอร์ แกรนด์ พระราม 9\nกรุงเทพฯ 10310"
    etda.save()
    copy = send_letter(etda, soc, alice, enclosure=b"%PDF-1.4\n%%EOF\n")
    return Letter.objects.get(agency=etda, direction=Direction.OUTGOING), copy


def test_the_print_view_follows_the_official_layout(client, alice, sent):
    letter, _copy = sent
    client.force_login(alice)

    response = client.get(reverse("letter-print", args=[letter.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    positions = [
        page.index(text)
        for text in (
            'class="number">ที่ ดศ (สพขอ) ๕๑๑.๐๔/',
            'class="garuda"',
            "อาคารเดอะ ไนน์ ทาวเวอร์",
            'class="letter-date"',
            f"เรื่อง</span> {SAMPLE_SUBJECT}",
            "เรียน</span> เลขาธิการคณะรัฐมนตรี",
            "สิ่งที่ส่งมาด้วย</span>",
            "ด้วยสำนักงานฯ",
            "ขอแสดงความนับถือ",
            "(นายทดสอบ ระบบดี)",
            "ผู้อำนวยการ ปฏิบัติหน้าที่แทน",
            "สำนักกฎหมาย",
            "โทร. ๐ ๒๑๒๓ ๑๒๓๔",
            "ไปรษณีย์อิเล็กทรอนิกส์ saraban@etda.or.th",
        )
    ]
    assert positions == sorted(positions)
    assert "๑๐๓๑๐" in page  # the address in Thai digits by preference
    assert "ร่างแนวทาง" in page  # the enclosure's description


def test_references_and_the_full_b_e_date(client, alice, etda, soc, hosted):
    draft = letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject="เรื่องทดสอบ", letter_date=datetime.date(2020, 4, 22)),
        parts=LetterParts(
            recipients=[RecipientInput(agency=soc)],
            references=[
                ReferenceInput(
                    number_text="นร 0506/ว 11561",
                    date=datetime.date(2019, 12, 1),
                    subject="หนังสือสำนักเลขาธิการคณะรัฐมนตรี",
                )
            ],
        ),
    )
    letter_allocate_number(letter=draft, actor=alice)
    client.force_login(alice)

    page = client.get(reverse("letter-print", args=[draft.pk])).content.decode()

    assert "๒๒ เมษายน ๒๕๖๓" in page
    assert "อ้างถึง</span>" in page
    assert "ที่ นร ๐๕๐๖/ว ๑๑๕๖๑ ลงวันที่ ๑ ธันวาคม ๒๕๖๒" in page


def test_a_memo_prints_as_บันทึกข้อความ(client, alice, etda):
    draft = letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject="ขออนุมัติ", kind=LetterKind.INTERNAL, owning_unit="ฝ่ายกฎหมาย"),
    )
    client.force_login(alice)

    page = client.get(reverse("letter-print", args=[draft.pk])).content.decode()

    assert "บันทึกข้อความ" in page
    assert "ส่วนราชการ</strong> ฝ่ายกฎหมาย" in page


def test_bob_prints_his_copy_and_alice_gets_404_for_it(client, alice, bob, sent):
    _letter, copy = sent

    client.force_login(bob)
    assert SAMPLE_SUBJECT in client.get(reverse("letter-print", args=[copy.pk])).content.decode()
    client.force_login(alice)
    assert client.get(reverse("letter-print", args=[copy.pk])).status_code == 404


def test_a_secret_letter_prints_without_its_body_for_a_clerk(client, hosted, alice, bob, etda, soc):
    copy = send_letter(etda, soc, alice, secrecy=Secrecy.SECRET)
    client.force_login(bob)

    page = client.get(reverse("letter-print", args=[copy.pk])).content.decode()

    assert "ด้วยสำนักงานฯ" not in page
    assert "หนังสือนี้เป็นหนังสือลับ" in page
    officer = make_user("somchai", (soc, AgencyRole.SECRET_OFFICER))
    client.force_login(officer)
    assert "ด้วยสำนักงานฯ" in client.get(reverse("letter-print", args=[copy.pk])).content.decode()

"""The receive and dispatch registers: a B.E. date range, printable, exported to CSV and XLSX.

Bob (สลค.) registers Alice's (สพธอ.) letter; each sees the line in their own register only.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from defusedxml import ElementTree
from django.urls import reverse
from django.utils import timezone

from exchange.services.acknowledgements import incoming_letter_register
from letters.services.preferences import display_preference_set
from letters.thai import be_year, to_thai_digits

from .conftest import SAMPLE_SUBJECT, send_letter

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture
def registered(hosted, alice, bob, etda, soc):
    copy = send_letter(etda, soc, alice)
    return incoming_letter_register(letter=copy, actor=bob)


def today_be() -> str:
    today = timezone.localdate()
    return f"{today.day}/{today.month}/{be_year(today.year)}"


def test_the_receive_register_shows_bob_s_line_in_thai(client, bob, registered):
    client.force_login(bob)

    response = client.get(reverse("register", args=["receive"]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "ทะเบียนหนังสือรับ" in page
    assert SAMPLE_SUBJECT in page
    assert 'data-number="1"' in page
    assert "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์" in page
    assert to_thai_digits(str(be_year(timezone.localdate().year))) in page  # Thai by default
    assert "data-print" in page and 'data-export="xlsx"' in page
    assert "<script>" not in page


def test_arabic_digits_when_the_clerk_prefers_them(client, bob, registered):
    display_preference_set(user=bob, thai_digits=False)
    client.force_login(bob)

    page = client.get(reverse("register", args=["receive"])).content.decode()

    assert f"{be_year(timezone.localdate().year)} " in page.split("<tbody>")[1]


def test_the_dispatch_register_shows_alice_s_number(client, alice, registered):
    client.force_login(alice)

    page = client.get(reverse("register", args=["dispatch"])).content.decode()

    assert "ทะเบียนหนังสือส่ง" in page
    assert "ดศ (สพขอ) ๕๑๑.๐๔/๑" in page or "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑" in page
    assert SAMPLE_SUBJECT in page


def test_a_range_before_the_letter_is_empty_and_b_e_dates_are_read(client, bob, registered):
    client.force_login(bob)

    response = client.get(
        reverse("register", args=["receive"]), {"from": "๑/๑/๒๕๖๐", "to": "31/12/2560"}
    )

    page = response.content.decode()
    assert "ไม่มีรายการในช่วงวันที่นี้" in page
    assert SAMPLE_SUBJECT not in page
    assert "ตั้งแต่วันที่ ๑ มกราคม ๒๕๖๐ ถึงวันที่ ๓๑ ธันวาคม ๒๕๖๐" in page


def test_a_bad_date_is_explained_in_thai(client, bob, registered):
    client.force_login(bob)

    response = client.get(reverse("register", args=["receive"]), {"from": "32/13/2569"})

    assert response.status_code == 400
    assert "วัน/เดือน/ปี พ.ศ." in response.content.decode()


def test_csv_export_has_the_line(client, bob, registered):
    client.force_login(bob)

    response = client.get(
        reverse("register-export", args=["receive", "csv"]), {"from": today_be(), "to": today_be()}
    )

    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Disposition"].startswith('attachment; filename="receive-register-soc')
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][2] == "เลขทะเบียน (number)"
    assert rows[1][2] == "1" and rows[1][11] == SAMPLE_SUBJECT


def test_xlsx_export_reads_back(client, bob, registered):
    client.force_login(bob)

    response = client.get(reverse("register-export", args=["receive", "xlsx"]))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(response.content)) as package:
        assert package.testzip() is None
        sheet = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
        book = package.read("xl/workbook.xml").decode()
    rows = [
        ["".join(cell.itertext()) for cell in row.iter(f"{MAIN}c")]
        for row in sheet.iter(f"{MAIN}row")
    ]
    assert rows[0][11] == "เรื่อง (subject)"
    assert rows[1][2] == "1"
    assert rows[1][11] == SAMPLE_SUBJECT
    assert "ทะเบียนหนังสือรับ" in book


def test_each_agency_sees_only_its_own_register(client, alice, registered):
    client.force_login(alice)

    page = client.get(reverse("register", args=["receive"])).content.decode()
    export = client.get(reverse("register-export", args=["receive", "xlsx"])).content

    assert SAMPLE_SUBJECT not in page
    with zipfile.ZipFile(io.BytesIO(export)) as package:
        assert SAMPLE_SUBJECT not in package.read("xl/worksheets/sheet1.xml").decode()


def test_unknown_registers_and_formats_are_404(client, bob):
    client.force_login(bob)

    assert client.get("/registers/secret/").status_code == 404
    assert client.get(reverse("register-export", args=["receive", "pdf"])).status_code == 404

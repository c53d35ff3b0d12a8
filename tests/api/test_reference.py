"""The clock check and the code lists (urgency, secrecy, media types)."""

from __future__ import annotations

import datetime

from letters.errors import TopSecretRefused


def test_the_time_check_gives_utc_bangkok_and_the_be_date(etda_system, settings):
    before = datetime.datetime.now(datetime.UTC)
    body = etda_system.get("/api/v1/time").json()
    after = datetime.datetime.now(datetime.UTC)

    utc = datetime.datetime.fromisoformat(body["utc"])
    bangkok = datetime.datetime.fromisoformat(body["bangkok"])
    assert body["utc"].endswith("Z")
    assert body["bangkok"].endswith("+07:00")
    assert before - datetime.timedelta(seconds=1) <= utc <= after + datetime.timedelta(seconds=1)
    assert utc == bangkok
    assert abs(body["unix_ms"] / 1000 - utc.timestamp()) < 1
    local_date = datetime.date.fromisoformat(body["bangkok_date"])
    assert body["be_year"] == local_date.year + 543
    assert body["thai_date"].endswith(
        str(body["be_year"]).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    )
    assert body["clock_skew_seconds"] == settings.HUB_ENVELOPE_CLOCK_SKEW_SECONDS


def test_the_time_check_needs_a_key(anonymous, db):
    assert anonymous.get("/api/v1/time").status_code == 401


def test_urgency_codes_in_thai_and_english(etda_system):
    body = etda_system.get("/api/v1/codes/urgency").json()

    assert body == [
        {"code": "001", "label_th": "ปกติ", "label_en": "Normal"},
        {"code": "002", "label_th": "ด่วน", "label_en": "Urgent"},
        {"code": "003", "label_th": "ด่วนมาก", "label_en": "Very urgent"},
        {"code": "004", "label_th": "ด่วนที่สุด", "label_en": "Most urgent"},
    ]


def test_secrecy_codes_say_top_secret_never_travels_electronically(etda_system):
    body = etda_system.get("/api/v1/codes/secrecy", HTTP_ACCEPT_LANGUAGE="en").json()

    by_code = {code["code"]: code for code in body}
    assert [by_code[c]["label_th"] for c in ("001", "002", "003", "004")] == [
        "ปกติ",
        "ลับ",
        "ลับมาก",
        "ลับที่สุด",
    ]
    assert [by_code[c]["allowed_electronically"] for c in ("001", "002", "003", "004")] == [
        True,
        True,
        True,
        False,
    ]
    assert by_code["004"]["note"] == str(TopSecretRefused.default_message)
    assert by_code["004"]["note"].startswith("Top secret")


def test_media_types_in_thai_and_english(etda_system):
    body = etda_system.get("/api/v1/codes/media-types").json()

    pdf = next(item for item in body if item["media_type"] == "application/pdf")
    assert pdf == {
        "media_type": "application/pdf",
        "extension": "pdf",
        "label_th": pdf["label_th"],
        "label_en": "PDF document",
        "main_document": True,
    }
    assert pdf["label_th"] != pdf["label_en"]
    assert len({item["media_type"] for item in body}) == len(body) >= 10

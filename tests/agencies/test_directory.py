"""Loading the agency directory: the real ministries and agencies, idempotent, all or nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from agencies.models import Agency
from agencies.selectors import active_agency_ids, agency_search
from agencies.services import DirectoryEntryInvalid, directory_load
from audit.models import AuditEvent

MINISTRY_CODES = {
    "นร", "กห", "กค", "กต", "กก", "พม", "กษ", "คค", "ทส", "ดศ",
    "พน", "พณ", "มท", "ยธ", "รง", "วธ", "ศธ", "สธ", "อก", "อว",
}  # fmt: skip


def load(**options):
    out = io.StringIO()
    call_command("load_directory", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_the_shipped_directory_has_the_twenty_ministries_and_the_named_agencies():
    output = load()

    ministries = Agency.objects.filter(parent__isnull=True)
    assert {agency.ministry_letter_code for agency in ministries} == MINISTRY_CODES
    assert ministries.count() == 20
    etda = Agency.objects.get(abbreviation="สพธอ.")
    assert (etda.ministry_letter_code, etda.sub_agency_code, etda.unit_number) == (
        "ดศ",
        "สพขอ",
        "511.04",
    )
    assert etda.parent is not None and etda.parent.ministry_letter_code == "ดศ"
    for name in ("สำนักเลขาธิการคณะรัฐมนตรี", "สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)"):
        assert Agency.objects.filter(name_th=name).exists()
    assert Agency.objects.filter(abbreviation="สำนักงาน ก.พ.ร.").exists()
    assert "created" in output
    assert (
        AuditEvent.objects.filter(action="agencies.agency.created").count()
        == Agency.objects.count()
    )


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    load()
    before = list(Agency.objects.order_by("key").values())

    output = load()

    assert "0 created, 0 updated" in output
    assert list(Agency.objects.order_by("key").values()) == before
    assert not AuditEvent.objects.filter(action="agencies.agency.updated").exists()


@pytest.mark.django_db
def test_unconfirmed_facts_are_flagged_for_verification():
    load()

    dga = Agency.objects.get(key="dga")
    assert "ministry_letter_code" in dga.unconfirmed_fields


@pytest.mark.django_db
def test_an_update_is_audited_with_before_and_after(tmp_path):
    load()
    path = tmp_path / "directory.json"
    path.write_text(
        json.dumps(
            {
                "agencies": [
                    {
                        "key": "etda",
                        "name_th": "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
                        "abbreviation": "สพธอ.",
                        "ministry_letter_code": "ดศ",
                        "sub_agency_code": "สพขอ",
                        "unit_number": "511.05",
                        "parent": "de",
                    }
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    load(file=path)

    assert Agency.objects.get(key="etda").unit_number == "511.05"
    event = AuditEvent.objects.get(action="agencies.agency.updated")
    assert (event.before["unit_number"], event.after["unit_number"]) == ("511.04", "511.05")


@pytest.mark.django_db
def test_a_bad_entry_writes_nothing_at_all():
    entries = [
        {"key": "good", "name_th": "กรมตัวอย่าง", "ministry_letter_code": "มท"},
        {"key": "bad", "name_th": "กรมผิดรูปแบบ", "ministry_letter_code": "MT"},
    ]

    with pytest.raises(DirectoryEntryInvalid) as raised:
        directory_load(entries=entries)

    assert raised.value.code == "agencies.directory_entry_invalid"
    assert raised.value.details["key"] == "bad"
    assert not Agency.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_unknown_parent_is_refused():
    with pytest.raises(DirectoryEntryInvalid):
        directory_load(entries=[{"key": "orphan", "name_th": "กรมกำพร้า", "parent": "nowhere"}])
    assert not Agency.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "key"),
    [("พัฒนาธุรกรรม", "etda"), ("สพธอ", "etda"), ("Electronic Transactions", "etda"), ("สลค", "soc")],
)
def test_clerks_find_agencies_by_thai_name_fragment_abbreviation_or_english(query, key):
    load()

    assert key in {agency.key for agency in agency_search(query=query)}


@pytest.mark.django_db
def test_agency_ids_are_found_by_key_for_active_agencies_only():
    load()
    etda, soc = Agency.objects.get(key="etda"), Agency.objects.get(key="soc")
    Agency.objects.filter(key="dga").update(is_active=False)

    found = active_agency_ids(keys=["etda", "soc", "etda", "dga", "nobody"])

    assert found == {"etda": etda.pk, "soc": soc.pk}
    assert active_agency_ids(keys=[]) == {}

"""The directory: search by Thai or English name and codes; one agency with its certificates
and capabilities. The directory is shared by design: every agency's system reads it all."""

from __future__ import annotations

import datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils import timezone

from agencies.models import Agency, DeliveryMode
from agencies.pki.issuing import issue_certificate, make_ca, make_crl, new_private_key
from agencies.pki.services import agency_certificate_register, crl_import, trust_anchor_import
from tests.conftest import make_agency


@pytest.fixture
def dga(db) -> Agency:
    return make_agency(
        "dga",
        name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)",
        name_en="Digital Government Development Agency",
        abbreviation="สพร.",
        ministry_letter_code="นร",
        ecms_ministry_code="01",
        ecms_department_code="01020",
    )


def keys_found(client, query):
    response = client.get("/api/v1/agencies", {"q": query})
    assert response.status_code == 200, response.content
    return [agency["key"] for agency in response.json()["results"]]


def test_a_thai_word_inside_a_name_finds_the_agency(etda_system, dga, soc):
    # Thai has no spaces between words: ดิจิทัล sits inside สำนักงานพัฒนารัฐบาลดิจิทัล.
    assert keys_found(etda_system, "ดิจิทัล") == ["dga"]
    assert keys_found(etda_system, "รัฐบาล") == ["dga"]


def test_english_names_match_without_regard_to_case(etda_system, dga, soc):
    assert keys_found(etda_system, "digital government") == ["dga"]
    assert keys_found(etda_system, "CABINET") == ["soc"]


def test_codes_match_exactly(etda_system, dga, soc, etda):
    assert keys_found(etda_system, "นร") == ["dga", "soc"]
    assert keys_found(etda_system, "01020") == ["dga"]
    assert keys_found(etda_system, "สพร.") == ["dga"]
    assert keys_found(etda_system, "etda") == ["etda"]


def test_no_query_lists_every_active_agency_in_thai_order(etda_system, dga, soc, etda):
    make_agency("closed", name_th="กรมที่ยุบแล้ว", is_active=False)

    # Ordered by Thai name as the database collates it.
    expected = list(
        Agency.objects.filter(is_active=True)
        .order_by("name_th", "id")
        .values_list("key", flat=True)
    )
    assert keys_found(etda_system, "") == expected
    assert sorted(expected) == ["dga", "etda", "soc"]


def test_another_agencys_entry_is_readable_by_design(soc_system, etda):
    response = soc_system.get("/api/v1/agencies/etda")

    assert response.status_code == 200
    assert response.json()["name_th"] == "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"


def test_an_inactive_or_unknown_agency_is_404(etda_system, etda):
    make_agency("closed", name_th="กรมที่ยุบแล้ว", is_active=False)

    for key in ("closed", "nobody"):
        response = etda_system.get(f"/api/v1/agencies/{key}")
        assert response.status_code == 404
        assert response.json()["code"] == "api.not_found"


@pytest.fixture(scope="module")
def test_ca():
    return make_ca("API Test CA", key=new_private_key("ec"))


def test_an_agency_shows_its_certificates_with_their_status(etda_system, soc, test_ca):
    trust_anchor_import(pem=test_ca.certificate_pem(), name="API Test CA", actor="system:test")
    now = timezone.now()
    current = issue_certificate(test_ca, common_name="SOC signer", organization="สลค.", kind="ec")
    revoked = issue_certificate(
        test_ca,
        common_name="SOC old signer",
        organization="สลค.",
        kind="ec",
        valid_from=now - datetime.timedelta(days=1),
    )
    for issued in (current, revoked):
        agency_certificate_register(agency=soc, certificate=issued.certificate, actor="system:test")
    crl = make_crl(test_ca, [(revoked.certificate.serial_number, now)])
    crl_import(data=crl.public_bytes(Encoding.DER), actor="system:test")

    response = etda_system.get("/api/v1/agencies/soc")

    assert response.status_code == 200
    certificates = {c["subject"]: c for c in response.json()["certificates"]}
    assert len(certificates) == 2
    by_name = {subject.split(",")[0]: c for subject, c in certificates.items()}
    assert by_name["CN=SOC signer"]["status"] == "valid"
    assert by_name["CN=SOC old signer"]["status"] == "revoked"
    good = by_name["CN=SOC signer"]
    assert len(good["fingerprint_sha256"]) == 64
    assert good["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert good["not_after"] > good["not_before"]


def test_capabilities_say_where_envelopes_go(etda_system, etda, soc):
    soc.delivery_mode = DeliveryMode.PUSH
    soc.endpoint_url = "https://saraban.soc.go.th/api/v1/exchange/envelopes"
    soc.save()
    make_agency("puller", name_th="กรมที่ดึงเอง", delivery_mode=DeliveryMode.PULL)

    hosted = etda_system.get("/api/v1/agencies/etda").json()["capabilities"]
    pushed = etda_system.get("/api/v1/agencies/soc").json()["capabilities"]
    pulled = etda_system.get("/api/v1/agencies/puller").json()["capabilities"]

    assert hosted["delivery_mode"] == "hosted"
    assert hosted["endpoint_url"] == "http://testserver/api/v1/exchange/envelopes"
    assert pushed["endpoint_url"] == "https://saraban.soc.go.th/api/v1/exchange/envelopes"
    assert pulled["endpoint_url"] is None
    assert "letter" in hosted["message_types"] and "registration" in hosted["message_types"]
    assert "receipt" not in hosted["message_types"]
    assert hosted["envelope_version"] == "1.0"
    assert hosted["hub_signs"] is False
    assert hosted["accepts_encryption"] is False

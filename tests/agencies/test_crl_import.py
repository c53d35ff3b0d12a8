"""CRLs: accepted only when signed by the trusted CA they name; a newer one replaces the older."""

from __future__ import annotations

import datetime

import pytest
from cryptography.hazmat.primitives import serialization

from agencies.models import CertificateRevocationList, RevokedSerial
from agencies.pki.certificates import fingerprint_sha256
from agencies.pki.errors import (
    CertificateRevoked,
    CrlIssuerUnknown,
    CrlNotNewer,
    CrlSignatureInvalid,
    InvalidCrl,
)
from agencies.pki.issuing import make_ca, make_crl
from agencies.pki.selectors import revocations_of_serial, trust_material
from agencies.pki.services import crl_import, trust_anchor_import
from agencies.pki.validation import certificate_check
from audit.models import AuditEvent

from .conftest import utc_now

DAY = datetime.timedelta(days=1)


def pem(crl):
    return crl.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def trusted_ca(hub_ca, hub_admin):
    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    return hub_ca


def test_hana_imports_the_cas_crl_and_soc_is_revoked_from_then_on(
    trusted_ca, soc_signer, etda_signer, hub_admin
):
    revoked_at = (utc_now() - DAY).replace(microsecond=0)
    crl = make_crl(trusted_ca, [(soc_signer.certificate.serial_number, revoked_at)])

    stored = crl_import(data=pem(crl), actor=hub_admin)

    assert stored.issuer == "CN=Thai Government Test CA,C=TH"
    assert stored.issuer_fingerprint_sha256 == fingerprint_sha256(trusted_ca.certificate)
    assert stored.next_update == crl.next_update_utc
    [entry] = revocations_of_serial(serial_hex=format(soc_signer.certificate.serial_number, "x"))
    assert (entry.crl, entry.revoked_at) == (stored, revoked_at)
    now = utc_now()
    with pytest.raises(CertificateRevoked):
        certificate_check(soc_signer.certificate, trust=trust_material(), signing_time=now, now=now)
    certificate_check(etda_signer.certificate, trust=trust_material(), signing_time=now, now=now)
    event = AuditEvent.objects.get(action="pki.crl.imported")
    assert (event.actor_user, event.after["revoked"], event.before) == (hub_admin, 1, None)


def test_a_der_crl_is_read_as_well(trusted_ca, hub_admin):
    crl = make_crl(trusted_ca, [])

    crl_import(data=crl.public_bytes(serialization.Encoding.DER), actor=hub_admin)

    assert CertificateRevocationList.objects.count() == 1


def test_a_crl_signed_by_another_key_in_the_cas_name_is_refused(
    trusted_ca, rogue_ca, etda_signer, hub_admin
):
    # Someone wants ETDA to look revoked: same issuer name, their own key.
    forged = make_crl(rogue_ca, [(etda_signer.certificate.serial_number, utc_now() - DAY)])

    with pytest.raises(CrlSignatureInvalid) as caught:
        crl_import(data=pem(forged), actor=hub_admin)

    assert caught.value.code == "pki.crl_signature_invalid"
    assert not CertificateRevocationList.objects.exists()
    assert not RevokedSerial.objects.exists()
    assert not AuditEvent.objects.filter(action="pki.crl.imported").exists()


def test_a_crl_of_a_ca_that_is_not_trusted_is_refused(trusted_ca, hub_admin):
    stranger = make_ca("Some Other CA")

    with pytest.raises(CrlIssuerUnknown) as caught:
        crl_import(data=pem(make_crl(stranger, [])), actor=hub_admin)

    assert caught.value.code == "pki.crl_issuer_unknown"


def test_a_newer_crl_replaces_the_older_one(trusted_ca, etda_signer, soc_signer, hub_admin):
    now = utc_now()
    older = make_crl(
        trusted_ca,
        [(soc_signer.certificate.serial_number, now - 3 * DAY)],
        this_update=now - 2 * DAY,
    )
    newer = make_crl(
        trusted_ca,
        [
            (soc_signer.certificate.serial_number, now - 3 * DAY),
            (etda_signer.certificate.serial_number, now - DAY),
        ],
        this_update=now - DAY,
    )
    crl_import(data=pem(older), actor=hub_admin)

    stored = crl_import(data=pem(newer), actor=hub_admin)

    assert list(CertificateRevocationList.objects.all()) == [stored]
    assert RevokedSerial.objects.filter(crl=stored).count() == 2
    assert RevokedSerial.objects.count() == 2
    event = AuditEvent.objects.filter(action="pki.crl.imported").latest("pk")
    assert (event.before["revoked"], event.after["revoked"]) == (1, 2)


def test_an_older_crl_does_not_replace_a_newer_one(trusted_ca, hub_admin):
    now = utc_now()
    crl_import(data=pem(make_crl(trusted_ca, [], this_update=now - DAY)), actor=hub_admin)

    with pytest.raises(CrlNotNewer) as caught:
        crl_import(data=pem(make_crl(trusted_ca, [], this_update=now - 2 * DAY)), actor=hub_admin)

    assert caught.value.code == "pki.crl_not_newer"
    assert CertificateRevocationList.objects.get().this_update > now - 2 * DAY


def test_the_same_crl_again_changes_nothing(trusted_ca, hub_admin):
    crl = make_crl(trusted_ca, [])
    first = crl_import(data=pem(crl), actor=hub_admin)

    again = crl_import(data=pem(crl), actor=hub_admin)

    assert again.pk == first.pk
    assert AuditEvent.objects.filter(action="pki.crl.imported").count() == 1


def test_garbage_is_not_a_crl(trusted_ca, hub_admin):
    with pytest.raises(InvalidCrl) as caught:
        crl_import(data=b"not a CRL", actor=hub_admin)

    assert caught.value.code == "pki.invalid_crl"

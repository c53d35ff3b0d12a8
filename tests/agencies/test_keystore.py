"""Hosted agencies' private keys: encrypted at rest, bound to their agency, decrypted once."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization

from agencies.models import AgencyCertificate, AgencySigningKey
from agencies.pki import keystore
from agencies.pki.errors import NoSigningKey, SigningKeyUnreadable
from agencies.pki.issuing import issue_certificate
from agencies.pki.keystore import (
    decrypt_private_key,
    encrypt_private_key,
    signing_key_associated_data,
    signing_material_for,
)
from agencies.pki.services import (
    agency_signing_key_import,
    signing_keys_reencrypt,
    trust_anchor_import,
)
from audit.models import AuditEvent

ETDA_BINDING = signing_key_associated_data(agency_key="etda", fingerprint_sha256="ab" * 32)
SOC_BINDING = signing_key_associated_data(agency_key="soc", fingerprint_sha256="ab" * 32)


def pkcs8(key):
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def trusted_ca(hub_ca, hub_admin):
    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    return hub_ca


def import_key(agency, issued, actor) -> AgencySigningKey:
    return agency_signing_key_import(
        agency=agency,
        key_data=issued.private_key_pem(),
        certificate_data=issued.certificate_pem(),
        password=None,
        actor=actor,
    )


@pytest.fixture
def count_decryptions(monkeypatch):
    """Count real decryptions (the real function runs; only the calls are counted)."""
    calls = []
    real = keystore.decrypt_private_key

    def counting(blob, **kwargs):
        calls.append(bytes(blob))
        return real(blob, **kwargs)

    monkeypatch.setattr(keystore, "decrypt_private_key", counting)
    return calls


def test_a_key_comes_back_unchanged_from_its_encrypted_form(rsa_key):
    blob = encrypt_private_key(rsa_key, associated_data=ETDA_BINDING)

    assert pkcs8(rsa_key) not in blob
    assert pkcs8(decrypt_private_key(blob, associated_data=ETDA_BINDING)) == pkcs8(rsa_key)


def test_each_encryption_uses_a_fresh_nonce(rsa_key):
    first = encrypt_private_key(rsa_key, associated_data=ETDA_BINDING)
    second = encrypt_private_key(rsa_key, associated_data=ETDA_BINDING)

    assert first[5:17] != second[5:17]


def test_a_tampered_blob_is_refused(rsa_key):
    blob = bytearray(encrypt_private_key(rsa_key, associated_data=ETDA_BINDING))
    blob[40] ^= 0x01

    with pytest.raises(SigningKeyUnreadable) as caught:
        decrypt_private_key(bytes(blob), associated_data=ETDA_BINDING)
    assert caught.value.code == "pki.signing_key_unreadable"
    assert caught.value.details["reason"] == "authentication_failed"


def test_etdas_blob_does_not_decrypt_as_socs(rsa_key):
    blob = encrypt_private_key(rsa_key, associated_data=ETDA_BINDING)

    with pytest.raises(SigningKeyUnreadable):
        decrypt_private_key(blob, associated_data=SOC_BINDING)


def test_a_blob_under_another_master_key_is_reported_as_such(rsa_key, settings):
    blob = encrypt_private_key(rsa_key, associated_data=ETDA_BINDING)
    settings.HUB_KEY_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()

    with pytest.raises(SigningKeyUnreadable) as caught:
        decrypt_private_key(blob, associated_data=ETDA_BINDING)
    assert caught.value.details["reason"] == "other_master_key"


def test_etdas_signing_material_is_its_active_key_and_certificate(
    etda, trusted_ca, etda_signer, hub_admin
):
    stored = import_key(etda, etda_signer, hub_admin)

    material = signing_material_for(etda)

    assert material.agency_key == "etda"
    assert material.certificate == etda_signer.certificate
    assert pkcs8(material.private_key) == pkcs8(etda_signer.private_key)
    assert pkcs8(etda_signer.private_key) not in bytes(stored.encrypted_key)


def test_the_key_is_decrypted_once_per_process(
    etda, trusted_ca, etda_signer, hub_admin, count_decryptions
):
    import_key(etda, etda_signer, hub_admin)

    materials = [signing_material_for(etda) for _ in range(5)]

    assert len(count_decryptions) == 1
    assert all(material is materials[0] for material in materials)


def test_a_rotated_key_is_used_at_once_and_decrypted_once(
    etda, trusted_ca, etda_signer, hub_admin, count_decryptions
):
    import_key(etda, etda_signer, hub_admin)
    signing_material_for(etda)
    successor = issue_certificate(
        trusted_ca, common_name="ETDA signer 2027", organization="สพธอ.", kind="ec"
    )

    import_key(etda, successor, hub_admin)
    materials = [signing_material_for(etda) for _ in range(3)]

    assert materials[0].certificate == successor.certificate
    assert len(count_decryptions) == 2


def test_an_agency_without_a_key_cannot_sign(soc):
    with pytest.raises(NoSigningKey) as caught:
        signing_material_for(soc)

    assert caught.value.code == "pki.no_signing_key"


def test_a_key_whose_certificate_was_switched_off_signs_no_more(
    etda, trusted_ca, etda_signer, hub_admin
):
    stored = import_key(etda, etda_signer, hub_admin)
    signing_material_for(etda)
    AgencyCertificate.objects.filter(pk=stored.certificate_id).update(is_active=False)

    with pytest.raises(NoSigningKey):
        signing_material_for(etda)


def test_etdas_key_copied_into_socs_row_does_not_sign_for_soc(
    etda, soc, trusted_ca, etda_signer, soc_signer, hub_admin
):
    etda_key = import_key(etda, etda_signer, hub_admin)
    soc_key = import_key(soc, soc_signer, hub_admin)
    # Someone with database access swaps the blobs.
    AgencySigningKey.objects.filter(pk=soc_key.pk).update(encrypted_key=etda_key.encrypted_key)

    with pytest.raises(SigningKeyUnreadable):
        signing_material_for(soc)
    assert signing_material_for(etda).certificate == etda_signer.certificate


def test_rotating_the_master_key_reencrypts_every_key(
    etda, soc, trusted_ca, etda_signer, soc_signer, hub_admin, settings
):
    import_key(etda, etda_signer, hub_admin)
    import_key(soc, soc_signer, hub_admin)
    old = base64.b64decode(settings.HUB_KEY_ENCRYPTION_KEY)
    new = os.urandom(32)

    changed = signing_keys_reencrypt(old_master_key=old, new_master_key=new, actor=hub_admin)
    again = signing_keys_reencrypt(old_master_key=old, new_master_key=new, actor=hub_admin)
    keystore.signing_material_cache_clear()
    settings.HUB_KEY_ENCRYPTION_KEY = base64.b64encode(new).decode()

    assert (changed, again) == (2, 0)
    assert signing_material_for(soc).certificate == soc_signer.certificate
    assert AuditEvent.objects.filter(action="pki.signing_key.reencrypted").count() == 1

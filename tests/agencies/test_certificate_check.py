"""certificate_check: what the envelope verifier asks before it trusts a sender's signature.

Pure: no database. Every refusal carries its own code, and the checks run in a fixed order
(key, usage, validity, chain, revocation), so the code names the first thing wrong.
"""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from agencies.pki.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRejected,
    CertificateRevoked,
    CertificateUntrusted,
    KeyUsageInvalid,
    RevocationUnknown,
    WeakKey,
)
from agencies.pki.issuing import IssuedCertificate, issue_certificate, make_ca, make_crl
from agencies.pki.validation import TrustMaterial, certificate_check

from .conftest import self_signed, signing_usage, utc_now

DAY = datetime.timedelta(days=1)
ETDA_TH = "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"


@pytest.fixture(scope="module")
def weak_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505


def check(certificate, trust, *, signing_time=None, now=None, **options):
    now = now or utc_now()
    certificate_check(
        certificate, trust=trust, signing_time=signing_time or now, now=now, **options
    )


def refusal(certificate, trust, **kwargs) -> CertificateRejected:
    with pytest.raises(CertificateRejected) as caught:
        check(certificate, trust, **kwargs)
    return caught.value


def issue(ca: IssuedCertificate, key, **options) -> x509.Certificate:
    return issue_certificate(
        ca, common_name="ETDA signer", organization=ETDA_TH, key=key, **options
    ).certificate


def with_extended_key_usage(ca: IssuedCertificate, key, purposes) -> x509.Certificate:
    base = issue(ca, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(base.subject)
        .issuer_name(base.issuer)
        .public_key(key.public_key())
        .serial_number(base.serial_number)
        .not_valid_before(base.not_valid_before_utc)
        .not_valid_after(base.not_valid_after_utc)
    )
    for extension in base.extensions:
        builder = builder.add_extension(extension.value, critical=extension.critical)
    builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
    return builder.sign(ca.private_key, hashes.SHA256())


# --- accepted ---------------------------------------------------------------------------


def test_etdas_rsa_2048_certificate_from_the_trusted_ca_is_accepted(etda_signer, trust):
    assert etda_signer.certificate.public_key().key_size == 2048

    check(etda_signer.certificate, trust)


def test_dgas_p256_certificate_is_accepted(hub_ca, trust):
    dga = issue_certificate(hub_ca, common_name="DGA signer", organization="สพร.", kind="ec")

    assert dga.certificate.public_key().curve.name == "secp256r1"
    check(dga.certificate, trust)


def test_a_document_signing_or_email_eku_is_accepted(hub_ca, rsa_key, trust):
    for purpose in (
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"),
    ):
        check(with_extended_key_usage(hub_ca, rsa_key, [purpose]), trust)


def test_without_any_crl_for_the_issuer_revocation_is_not_checked(etda_signer, hub_ca):
    unrelated = make_ca("Another Agency CA")
    trust = TrustMaterial(
        anchors=(hub_ca.certificate,),
        crls=(make_crl(unrelated, [(etda_signer.certificate.serial_number, utc_now() - DAY)]),),
    )

    check(etda_signer.certificate, trust)


def test_a_certificate_below_an_intermediate_ca_is_accepted_with_the_intermediate(hub_ca):
    sub_key = ec.generate_private_key(ec.SECP256R1())
    now = utc_now()
    sub_ca_certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ministry Sub-CA")]))
        .issuer_name(hub_ca.certificate.subject)
        .public_key(sub_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(signing_usage(digital_signature=False, cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(sub_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(hub_ca.private_key.public_key()),
            False,
        )
        .sign(hub_ca.private_key, hashes.SHA256())
    )
    sub_ca = IssuedCertificate(certificate=sub_ca_certificate, private_key=sub_key)
    leaf = issue_certificate(sub_ca, common_name="Unit signer", organization=ETDA_TH, kind="ec")
    anchors = (hub_ca.certificate,)

    check(leaf.certificate, TrustMaterial(anchors=anchors, intermediates=(sub_ca_certificate,)))
    assert refusal(leaf.certificate, TrustMaterial(anchors=anchors)).code == "pki.untrusted"
    revoked_sub_ca = TrustMaterial(
        anchors=anchors,
        intermediates=(sub_ca_certificate,),
        crls=(make_crl(hub_ca, [(sub_ca_certificate.serial_number, now - DAY)]),),
    )
    assert refusal(leaf.certificate, revoked_sub_ca).code == "pki.revoked"


# --- 1. key ---------------------------------------------------------------------------


def test_a_1024_bit_rsa_key_is_weak(hub_ca, weak_rsa_key, trust):
    error = refusal(issue(hub_ca, weak_rsa_key), trust)

    assert isinstance(error, WeakKey)
    assert error.code == "pki.weak_key"
    assert error.details["bits"] == 1024


def test_the_minimum_rsa_size_is_the_callers_policy(etda_signer, trust):
    assert refusal(etda_signer.certificate, trust, min_rsa_bits=3072).code == "pki.weak_key"


@pytest.mark.parametrize("curve", [ec.SECP224R1(), ec.SECP256K1()], ids=lambda c: c.name)
def test_curves_other_than_the_nist_p_curves_are_refused(hub_ca, trust, curve):
    certificate = issue(hub_ca, ec.generate_private_key(curve))

    error = refusal(certificate, trust)
    assert error.code == "pki.weak_key"
    assert error.details["curve"] == curve.name


def test_an_ed25519_key_is_not_a_key_the_profile_signs_with(trust):
    certificate = self_signed(ed25519.Ed25519PrivateKey.generate(), key_usage=signing_usage())

    assert refusal(certificate, trust).code == "pki.weak_key"


def test_the_key_is_checked_before_anything_else(hub_ca, weak_rsa_key, trust):
    expired_and_weak = issue(
        hub_ca, weak_rsa_key, valid_from=utc_now() - 100 * DAY, days=10,
        key_usage_digital_signature=False,
    )  # fmt: skip

    assert refusal(expired_and_weak, trust).code == "pki.weak_key"


# --- 2. key usage ---------------------------------------------------------------------


def test_a_certificate_without_digital_signature_usage_is_refused(hub_ca, rsa_key, trust):
    certificate = issue(hub_ca, rsa_key, key_usage_digital_signature=False)

    error = refusal(certificate, trust)
    assert isinstance(error, KeyUsageInvalid)
    assert (error.code, error.details["reason"]) == ("pki.key_usage", "no_digital_signature")


def test_a_certificate_without_a_key_usage_extension_is_refused(trust):
    certificate = self_signed(ec.generate_private_key(ec.SECP256R1()))

    assert refusal(certificate, trust).details["reason"] == "no_key_usage"


def test_a_tls_server_only_certificate_may_not_sign_letters(hub_ca, rsa_key, trust):
    certificate = with_extended_key_usage(hub_ca, rsa_key, [ExtendedKeyUsageOID.SERVER_AUTH])

    error = refusal(certificate, trust)
    assert (error.code, error.details["reason"]) == ("pki.key_usage", "extended_key_usage")


# --- 3. validity ----------------------------------------------------------------------


def test_a_certificate_expired_at_signing_time_is_refused(hub_ca, rsa_key, trust):
    now = utc_now()
    certificate = issue(hub_ca, rsa_key, valid_from=now - 400 * DAY, days=365)

    error = refusal(certificate, trust, signing_time=now - 10 * DAY, now=now)

    assert isinstance(error, CertificateExpired)
    assert (error.code, error.details["moment"]) == ("pki.expired", "signing_time")


def test_a_signature_made_in_time_is_refused_once_the_certificate_has_expired(
    hub_ca, rsa_key, trust
):
    now = utc_now()
    certificate = issue(hub_ca, rsa_key, valid_from=now - 30 * DAY, days=20)

    error = refusal(certificate, trust, signing_time=now - 15 * DAY, now=now)

    assert (error.code, error.details["moment"]) == ("pki.expired", "now")


def test_a_certificate_not_yet_valid_is_refused(hub_ca, rsa_key, trust):
    certificate = issue(hub_ca, rsa_key, valid_from=utc_now() + 2 * DAY)

    error = refusal(certificate, trust)

    assert isinstance(error, CertificateNotYetValid)
    assert error.code == "pki.not_yet_valid"


def test_signing_before_the_certificate_began_is_refused_even_if_it_is_valid_now(
    hub_ca, rsa_key, trust
):
    now = utc_now()
    certificate = issue(hub_ca, rsa_key, valid_from=now - DAY)

    error = refusal(certificate, trust, signing_time=now - 3 * DAY, now=now)

    assert (error.code, error.details["moment"]) == ("pki.not_yet_valid", "signing_time")


def test_naive_times_are_a_programming_error(etda_signer, trust):
    with pytest.raises(ValueError, match="timezone-aware"):
        certificate_check(
            etda_signer.certificate,
            trust=trust,
            signing_time=datetime.datetime.now(),
            now=utc_now(),
        )


# --- 4. chain -------------------------------------------------------------------------


def test_a_self_signed_certificate_is_untrusted(trust):
    certificate = self_signed(ec.generate_private_key(ec.SECP256R1()), key_usage=signing_usage())

    error = refusal(certificate, trust)

    assert isinstance(error, CertificateUntrusted)
    assert error.code == "pki.untrusted"


def test_a_certificate_from_a_ca_nobody_configured_is_untrusted(rogue_ca, rsa_key, trust):
    # Same issuer name as the trusted CA: only the signature tells them apart.
    certificate = issue(rogue_ca, rsa_key)

    assert refusal(certificate, trust).code == "pki.untrusted"


def test_with_no_trust_anchor_nothing_is_trusted(etda_signer):
    assert refusal(etda_signer.certificate, TrustMaterial(anchors=())).code == "pki.untrusted"


def test_a_ca_certificate_cannot_sign_as_an_agency(hub_ca, trust):
    with_signing_usage = self_signed(
        hub_ca.private_key,
        common_name="Thai Government Test CA",
        ca=True,
        key_usage=signing_usage(cert_sign=True),
    )

    assert refusal(with_signing_usage, trust).code == "pki.untrusted"


# --- 5 and 6. revocation --------------------------------------------------------------


def test_a_certificate_on_a_fresh_crl_is_revoked(etda_signer, hub_ca):
    serial = etda_signer.certificate.serial_number
    crl = make_crl(hub_ca, [(serial, utc_now() - DAY)])

    error = refusal(etda_signer.certificate, TrustMaterial((hub_ca.certificate,), (crl,)))

    assert isinstance(error, CertificateRevoked)
    assert error.code == "pki.revoked"
    assert error.details["serial_hex"] == format(serial, "x")


def test_a_revocation_dated_after_now_has_not_happened_yet(etda_signer, hub_ca):
    crl = make_crl(hub_ca, [(etda_signer.certificate.serial_number, utc_now() + DAY)])

    check(etda_signer.certificate, TrustMaterial((hub_ca.certificate,), (crl,)))


def test_a_stale_crl_makes_the_revocation_status_unknown(etda_signer, hub_ca):
    now = utc_now()
    stale = make_crl(hub_ca, [], this_update=now - 10 * DAY, next_update=now - DAY)

    error = refusal(etda_signer.certificate, TrustMaterial((hub_ca.certificate,), (stale,)))

    assert isinstance(error, RevocationUnknown)
    assert error.code == "pki.revocation_unknown"


def test_a_serial_on_a_stale_crl_is_still_revoked(etda_signer, hub_ca):
    now = utc_now()
    stale = make_crl(
        hub_ca,
        [(etda_signer.certificate.serial_number, now - 20 * DAY)],
        this_update=now - 10 * DAY,
        next_update=now - DAY,
    )

    error = refusal(etda_signer.certificate, TrustMaterial((hub_ca.certificate,), (stale,)))

    assert error.code == "pki.revoked"


def test_a_crl_forged_in_the_trusted_cas_name_is_ignored(etda_signer, hub_ca, rogue_ca):
    forged = make_crl(rogue_ca, [(etda_signer.certificate.serial_number, utc_now() - DAY)])

    check(etda_signer.certificate, TrustMaterial((hub_ca.certificate,), (forged,)))


def test_another_certificate_on_the_crl_does_not_concern_this_one(etda_signer, soc_signer, hub_ca):
    crl = make_crl(hub_ca, [(soc_signer.certificate.serial_number, utc_now() - DAY)])
    trust = TrustMaterial((hub_ca.certificate,), (crl,))

    check(etda_signer.certificate, trust)
    assert refusal(soc_signer.certificate, trust).code == "pki.revoked"


# --- memoised paths ----------------------------------------------------------------------
# certificate_check remembers the chain it found for a signer (validation.py); these pin down
# that the memo never changes a verdict.


def test_a_certificate_accepted_a_moment_ago_is_refused_as_soon_as_a_crl_lists_it(hub_ca):
    signer = issue_certificate(hub_ca, common_name="ETDA signer", organization=ETDA_TH)
    check(signer.certificate, TrustMaterial((hub_ca.certificate,)))
    crl = make_crl(hub_ca, [(signer.certificate.serial_number, utc_now() - DAY)])

    error = refusal(signer.certificate, TrustMaterial((hub_ca.certificate,), (crl,)))

    assert error.code == "pki.revoked"


def test_a_remembered_chain_is_not_used_outside_its_cas_validity(rsa_key):
    now = utc_now()
    short_lived = make_ca("Short-lived Test CA", valid_from=now - 10 * DAY, days=5)
    certificate = issue(short_lived, rsa_key, valid_from=now - 10 * DAY, days=730)
    trust = TrustMaterial((short_lived.certificate,))
    check(certificate, trust, signing_time=now - 7 * DAY, now=now)

    error = refusal(certificate, trust, signing_time=now - DAY, now=now)

    assert error.code == "pki.untrusted"


def test_a_remembered_chain_does_not_outlive_its_anchor(etda_signer, hub_ca, rogue_ca):
    check(etda_signer.certificate, TrustMaterial((hub_ca.certificate,)))

    error = refusal(etda_signer.certificate, TrustMaterial((rogue_ca.certificate,)))

    assert error.code == "pki.untrusted"

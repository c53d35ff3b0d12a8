"""The verifier's view of the agency directory, backed by the database.

``exchange.envelope`` is pure and asks a ``SenderDirectory`` what it needs; this is the one the
hub uses. An endpoint serves the agencies hosted on this hub, and relays to pull-mode ones,
unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509

from agencies.models import Agency, DeliveryMode
from agencies.pki.selectors import agency_signing_certificates, trust_material
from agencies.pki.validation import TrustMaterial


class DatabaseDirectory:
    def __init__(
        self, *, served_keys: frozenset[str] | None = None, outgoing: bool = False
    ) -> None:
        self._served_keys = served_keys
        # An envelope an agency's system hands us to send may go to any agency we know.
        self._outgoing = outgoing
        self._trust: TrustMaterial | None = None
        self._agencies: dict[str, Agency | None] = {}

    def _agency(self, agency_key: str) -> Agency | None:
        # Once per verification: "does it exist" and "its certificates" ask about the same row.
        if agency_key not in self._agencies:
            self._agencies[agency_key] = Agency.objects.filter(
                key=agency_key, is_active=True
            ).first()
        return self._agencies[agency_key]

    def agency_exists(self, agency_key: str) -> bool:
        return self._agency(agency_key) is not None

    def signing_certificates(self, agency_key: str) -> Sequence[x509.Certificate]:
        agency = self._agency(agency_key)
        return agency_signing_certificates(agency) if agency is not None else []

    def trust_material(self) -> TrustMaterial:
        # Read once per verification: anchors and CRLs do not change mid-envelope.
        if self._trust is None:
            self._trust = trust_material()
        return self._trust

    def serves(self, agency_key: str) -> bool:
        if self._outgoing:
            return self.agency_exists(agency_key)
        if self._served_keys is not None:
            return agency_key in self._served_keys
        # Pull-mode agencies are served too: their letters are relayed to their own systems.
        return Agency.objects.filter(
            key=agency_key,
            is_active=True,
            delivery_mode__in=(DeliveryMode.HOSTED, DeliveryMode.PULL),
        ).exists()


class FileDirectory:
    """A directory from PEM files, for verifying an envelope away from the hub's database.

    Each signer certificate is bound to the agency key it was given for, so "the signer is the
    claimed sender" still holds offline.
    """

    def __init__(
        self,
        *,
        anchors: Sequence[x509.Certificate],
        signers: dict[str, list[x509.Certificate]],
        crls: Sequence[x509.CertificateRevocationList] = (),
    ) -> None:
        self._trust = TrustMaterial(anchors=tuple(anchors), crls=tuple(crls))
        self._signers = signers

    def agency_exists(self, agency_key: str) -> bool:
        return agency_key in self._signers

    def signing_certificates(self, agency_key: str) -> Sequence[x509.Certificate]:
        return self._signers.get(agency_key, [])

    def trust_material(self) -> TrustMaterial:
        return self._trust

    def serves(self, agency_key: str) -> bool:
        # Offline there is no "this endpoint": an archived envelope may be for any agency.
        return True

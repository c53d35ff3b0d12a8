"""Fixtures of the security tests: the exchange tests' demo CA and hosted agencies (ETDA, SOC)
with their signing and secret-letter encryption keys."""

from __future__ import annotations

from tests.exchange.conftest import hosted, hosted_committed, pki  # noqa: F401  (fixtures)
from tests.security.test_secret_letters import hub_admin, secret  # noqa: F401  (fixtures)

"""Fixtures of the security tests: the exchange tests' demo CA and hosted agencies (ETDA, SOC)
with their signing and secret-letter encryption keys, the API tests' agency systems (each with
its own API key), and SOC's secret-registry officer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from agencies.models import Agency, AgencyRole
from tests.api.conftest import etda_key, etda_system, soc_key, soc_system  # noqa: F401
from tests.conftest import make_user
from tests.exchange.conftest import hosted, hosted_committed, pki  # noqa: F401  (fixtures)


@pytest.fixture
def somsri(soc: Agency) -> User:
    """SOC's appointed secret-registry officer (and a clerk too, as officers usually are)."""
    return make_user("somsri", (soc, AgencyRole.CLERK), (soc, AgencyRole.SECRET_OFFICER))


# The sent ลับมาก letter and the hub administrator, for the tests of the pages around it.
from tests.security.test_secret_letters import hub_admin, secret  # noqa: E402, F401

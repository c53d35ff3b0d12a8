"""The exchange tests' fixtures (test PKI, hosted agencies with their keys) for audit tests."""

from tests.exchange.conftest import hosted, hosted_committed, pki  # noqa: F401

"""Schemathesis against the live schema of a live server: every operation, then the links.

The server is pytest-django's live server (a real HTTP server on 127.0.0.1 in this process);
the schema is the one it serves at /api/schema/. Requests carry ETDA's system's API key, and
the database holds letters in both directions, so operations have something to find. Checks:
no 5xx, and every response (status, content type, headers, body) conforms to the schema.
Bounded: a few examples per operation and per stateful step, so CI stays fast.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import positive_data_acceptance

from agencies.services import apikey_create
from tests.exchange.conftest import hosted_committed, pki  # noqa: F401  (fixtures)

from .scenarios import seed_both_directions

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 8
STATEFUL_STEPS = 8


@pytest.fixture
def api_context(live_server: Any, etda: Any, soc: Any, settings: Any, request: Any):
    # ETDA and SOC hosted here with their signing keys (the exchange tests' fixture).
    request.getfixturevalue("hosted_committed")
    settings.HUB_API_RATE = "100000/min"  # the rate limiter is tested on its own
    seed_both_directions(etda=etda, soc=soc)
    key = apikey_create(agency=etda, name="schemathesis", actor="system:test").plaintext
    return live_server.url, {"Authorization": f"Bearer {key}"}


# Loaded at collection from the application itself (no database needed), so that pytest shows
# one test per operation; the calls then go over HTTP to the live server.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_and_never_fails_with_5xx(case, api_context):
    live, headers = api_context
    # Not positive_data_acceptance: much that the schema allows is refused on meaning (an
    # envelope that is not signed, a webhook URL that is not public), with a 4xx and a code.
    case.call_and_validate(
        base_url=live, headers=headers, excluded_checks=[positive_data_acceptance]
    )


def test_stateful_links_conform(api_context):
    live, headers = api_context
    # The live schema, as a client would fetch it.
    workflow = schemathesis.openapi.from_url(f"{live}/api/schema/").as_state_machine()

    class Workflow(workflow):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=[positive_data_acceptance],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=STATEFUL_STEPS,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )

"""Every page of the site (not the API: see test_api_authorization_matrix.py), generated from
the URL configuration, against every persona. A route without a rule fails the test.

Personas: anonymous; clerk, secret-registry officer and administrator of ETDA (agency A, the
owner of every object in the paths); SOC's clerk (agency B); the auditor and the hub
administrator (hub roles, no agency). Each rule says what each persona gets.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agencies.models import AgencyRole, HubRole, HubRoleName
from exchange.models import Delivery, DeliveryStatus
from exchange.services.acknowledgements import incoming_letter_register
from exchange.services.operations import heartbeat_record
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from letters.models import Direction, Letter
from tests.conftest import make_user
from tests.exchange.test_delivery_flow import draft_to

PERSONAS = (
    "anonymous",
    "clerk_a",
    "secret_officer_a",
    "agency_admin_a",
    "clerk_b",
    "auditor",
    "hub_admin",
)
AGENCY_A = {"clerk_a", "secret_officer_a", "agency_admin_a"}
HUB = {"auditor", "hub_admin"}

# Outcomes: "ok" (2xx or a redirect that is not to the login page, or a form error),
# "login" (redirect to sign in), "403", "404".
OBJECT_PAGE = {
    **dict.fromkeys(AGENCY_A, "ok"),
    "clerk_b": "404",
    "anonymous": "login",
} | dict.fromkeys(HUB, "403")
AGENCY_PAGE = {**dict.fromkeys(AGENCY_A | {"clerk_b"}, "ok"), "anonymous": "login"} | dict.fromkeys(
    HUB, "403"
)
SIGNED_IN = {**dict.fromkeys(AGENCY_A | {"clerk_b"} | HUB, "ok"), "anonymous": "login"}
OPEN = dict.fromkeys(PERSONAS, "ok")


def console(*roles: str) -> dict[str, str]:
    outcome = {persona: "403" for persona in PERSONAS} | {"anonymous": "login"}
    return outcome | dict.fromkeys(roles, "ok")


RULES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "home": (SIGNED_IN, {}),  # a hub role without an agency gets a page saying where to go
    "inbox": (AGENCY_PAGE, {}),
    "letter-detail": (OBJECT_PAGE, {"letter_id": "letter"}),
    "letter-attachment": (OBJECT_PAGE, {"letter_id": "letter", "attachment_id": "attachment"}),
    "letter-stamped": (OBJECT_PAGE, {"letter_id": "letter"}),
    "letter-stamp-sheet": (OBJECT_PAGE, {"letter_id": "letter"}),
    "letter-register": (OBJECT_PAGE, {"letter_id": "letter"}),
    "letter-refuse": (OBJECT_PAGE, {"letter_id": "letter"}),
    "letter-endorse": (OBJECT_PAGE, {"letter_id": "letter"}),
    "letter-assign": (OBJECT_PAGE, {"letter_id": "letter"}),
    "display-preference": (SIGNED_IN, {}),
    "agency-switch": (SIGNED_IN, {}),
    "login": (OPEN, {}),
    "logout": (dict.fromkeys(PERSONAS, "login"), {}),  # signed out, back to the login page
    "set_language": (OPEN, {}),
    "console": (console("auditor", "hub_admin"), {}),
    "console-events": (console("auditor"), {}),
    "console-letter": (console("auditor"), {"letter_id": "letter"}),
    "console-evidence": (console("auditor"), {"letter_id": "letter"}),
    "console-chain": (console("auditor", "hub_admin"), {}),
    "console-operations": (console("auditor", "hub_admin"), {}),
    # An auditor may look but not act: only a hub administrator redrives.
    "console-redrive": (console("hub_admin"), {"delivery_id": "failed_delivery"}),
    # Break-glass: a hub administrator only (auditors read the trail, never secret content).
    "console-break-glass": (console("hub_admin"), {"letter_id": "letter"}),
    "break-glass-list": (AGENCY_PAGE, {}),
    "letter-compose": (AGENCY_PAGE, {}),
    "letter-edit": (OBJECT_PAGE, {"letter_id": "draft"}),
    "letter-number": (OBJECT_PAGE, {"letter_id": "draft"}),
    "letter-send": (OBJECT_PAGE, {"letter_id": "draft"}),
    "letter-print": (OBJECT_PAGE, {"letter_id": "sent"}),
    "letter-progress": (OBJECT_PAGE, {"letter_id": "sent"}),
    "delivery-redrive": (OBJECT_PAGE, {"letter_id": "sent", "delivery_id": "sent_delivery"}),
    "delivery-withdraw": (OBJECT_PAGE, {"letter_id": "sent", "delivery_id": "sent_delivery"}),
    "delivery-resend": (OBJECT_PAGE, {"letter_id": "sent", "delivery_id": "sent_delivery"}),
    "recipient-search": (AGENCY_PAGE, {}),
    "outbox": (AGENCY_PAGE, {}),
    "register": (AGENCY_PAGE, {"kind": "register_kind"}),
    "register-export": (AGENCY_PAGE, {"kind": "register_kind", "fmt": "export_format"}),
    "healthz": (OPEN, {}),  # says whether the node works, nothing about letters
    "metrics": (console("auditor", "hub_admin") | {"anonymous": "403"}, {}),
}


def site_routes() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith("admin/"):
                    continue  # Django's admin: staff accounts only, tested below
                yield from walk(pattern.url_patterns, route)
            elif not route.startswith("api/"):
                yield str(pattern.name), pattern

    yield from walk(get_resolver().url_patterns)


# Function views do not say which methods they answer; these answer POST only, these both.
POST_ONLY = {
    "display-preference", "agency-switch", "logout", "set_language", "console-redrive",
    "letter-register", "letter-refuse", "letter-endorse", "letter-assign", "letter-number",
    "letter-send", "delivery-redrive", "delivery-withdraw", "delivery-resend",
}  # fmt: skip
GET_AND_POST = {"letter-compose", "letter-edit", "console-break-glass"}


def methods_of(pattern: URLPattern) -> list[str]:
    view = getattr(pattern.callback, "view_class", None)
    if view is not None:
        return [m for m in ("get", "post") if m in view.http_method_names and hasattr(view, m)]
    name = pattern.name or ""
    if name in POST_ONLY:
        return ["post"]
    return ["get", "post"] if name in GET_AND_POST else ["get"]


@pytest.fixture
def world(request, etda, soc):
    request.getfixturevalue("hosted")
    heartbeat_record()  # a worker has swept: /healthz answers 200
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    bob = make_user("bob", (soc, AgencyRole.CLERK))
    [to_etda] = letter_send(letter=draft_to(soc, etda, bob), actor=bob)
    delivery_attempt(delivery_id=to_etda.pk)
    letter = Letter.objects.get(agency=etda, direction=Direction.INCOMING)
    incoming_letter_register(letter=letter, actor=alice)
    failed = Delivery.objects.get(message_type="registration")
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)
    users = {
        "clerk_a": alice,
        "secret_officer_a": make_user("secret-a", (etda, AgencyRole.SECRET_OFFICER)),
        "agency_admin_a": make_user("admin-a", (etda, AgencyRole.AGENCY_ADMIN)),
        "clerk_b": bob,
        "auditor": make_user("auditor"),
        "hub_admin": make_user("operator"),
    }
    HubRole.objects.create(user=users["auditor"], role=HubRoleName.AUDITOR)
    HubRole.objects.create(user=users["hub_admin"], role=HubRoleName.HUB_ADMIN)
    sent = draft_to(etda, soc, alice, subject="หนังสือส่งออกของ สพธอ.")
    [sent_delivery] = letter_send(letter=sent, actor=alice)
    delivery_attempt(delivery_id=sent_delivery.pk)
    draft = draft_to(etda, soc, alice, subject="ร่างหนังสือของ สพธอ.")
    objects = {
        "draft": draft.pk,
        "sent": sent.pk,
        "sent_delivery": sent_delivery.pk,
        "register_kind": "receive",
        "export_format": "csv",
        "letter": letter.pk,
        "attachment": letter.attachments.get().pk,
        "failed_delivery": failed.pk,
    }
    return users, objects


def test_every_page_has_a_rule():
    missing = sorted({name for name, _pattern in site_routes()} - set(RULES))
    assert not missing, f"pages without an authorization rule: {missing}"


def outcome_of(answer) -> str:
    if answer.status_code in (301, 302) and "/accounts/login/" in answer.get("Location", ""):
        return "login"
    if answer.status_code in (403, 404):
        return str(answer.status_code)
    if answer.status_code >= 500:
        return "5xx"
    return "ok"


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_matrix(world, persona):
    users, objects = world
    client = Client()
    if persona != "anonymous":
        client.force_login(users[persona])
    problems = []
    for name, pattern in site_routes():
        expected_by_persona, params = RULES[name]
        url = reverse(name, kwargs={p: objects[attr] for p, attr in params.items()})
        for method in methods_of(pattern):
            answer = getattr(client, method)(url)
            got = outcome_of(answer)
            if got != expected_by_persona[persona]:
                problems.append(
                    f"{method.upper()} {url}: {got}, expected {expected_by_persona[persona]}"
                )
            if name == "logout" and persona != "anonymous":
                client.force_login(users[persona])  # stay signed in for the next pages
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", ["clerk_a", "auditor", "hub_admin"])
def test_the_django_admin_is_for_staff_accounts_only(world, persona):
    users, _objects = world
    client = Client()
    client.force_login(users[persona])

    answer = client.get("/admin/")

    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]

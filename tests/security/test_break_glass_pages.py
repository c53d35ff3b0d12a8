"""Break-glass in the pages: the console's form for the hub administrator, and the agency's list.

A hub administrator opens SOC's ลับมาก letter only through the console form, with a reason of at
least 20 characters; SOC's users then see every such opening on their home page and in their
list; an auditor (who reads the audit trail) has no way in.
"""

from __future__ import annotations

from agencies.models import HubRole, HubRoleName
from audit.models import AuditEvent
from exchange.models import BreakGlassAccess
from tests.conftest import make_user
from tests.security.test_secret_letters import BODY, MAIN_NAME, SUBJECT

REASON = "คำสั่งศาลปกครองกลางที่ ๔๕๖/๒๕๖๙ ให้ส่งสำเนาหนังสือฉบับนี้เป็นพยานเอกสาร"


def test_the_hub_admin_opens_a_secret_letter_only_with_a_reason_and_soc_sees_it(
    secret, soc, bob, hub_admin, client
):
    _delivery, copy = secret
    url = f"/console/letters/{copy.pk}/break-glass/"
    client.force_login(hub_admin)

    form = client.get(url)
    too_short = client.post(url, {"reason": "ตรวจสอบ"})
    assert not BreakGlassAccess.objects.exists()
    opened = client.post(url, {"reason": REASON})

    assert form.status_code == 200 and SUBJECT not in form.content.decode()
    assert too_short.status_code == 400 and SUBJECT not in too_short.content.decode()
    assert opened.status_code == 200
    page = opened.content.decode()
    assert SUBJECT in page and BODY in page and MAIN_NAME in page
    [access] = BreakGlassAccess.objects.all()
    assert (access.agency, access.letter, access.opened_by, access.reason) == (
        soc,
        copy,
        hub_admin,
        REASON,
    )
    [event] = AuditEvent.objects.filter(action="letters.letter.secret_break_glass")
    assert (event.agency, event.actor_user) == (soc, hub_admin)

    client.force_login(bob)
    listed = client.get("/break-glass/").content.decode()
    home = client.get("/").content.decode()
    assert REASON in listed and f"/letters/{copy.pk}/" in listed
    assert 'href="/break-glass/"' in home and 'class="notice"' in home


def test_an_auditor_cannot_break_the_glass_and_etda_does_not_see_socs_openings(
    secret, etda, alice, hub_admin, client
):
    _delivery, copy = secret
    auditor = make_user("auditor_b")
    HubRole.objects.create(user=auditor, role=HubRoleName.AUDITOR)
    client.force_login(hub_admin)
    client.post(f"/console/letters/{copy.pk}/break-glass/", {"reason": REASON})

    client.force_login(auditor)
    refused = client.post(f"/console/letters/{copy.pk}/break-glass/", {"reason": REASON})
    client.force_login(alice)
    etda_list = client.get("/break-glass/").content.decode()

    assert refused.status_code == 403
    assert BreakGlassAccess.objects.count() == 1
    assert REASON not in etda_list

"""The audit console (auditors) and the operations pages (hub administrators, auditors)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import HubRoleName
from audit.checkpoints import certificate_fingerprint
from audit.evidence.export import evidence_bundle_write
from audit.models import AuditCheckpoint, AuditEvent, AuditSigningKey
from audit.services import audit_record
from audit.verification import audit_chain_verify
from config.errors import HubError
from exchange.models import Delivery
from exchange.services.outbox import delivery_redrive
from exchange.services.secret_letters import secret_letter_break_glass
from letters.models import Letter

from .access import AUDITORS, HUB_STAFF, console_page, hub_roles_of
from .forms import BreakGlassForm, EventFilterForm, RedriveForm
from .selectors import (
    EventFilter,
    console_events,
    csv_row,
    delivery_health,
    expiring_certificates,
    letter_timeline,
    stuck_deliveries,
)

CSV_HEADER = [
    "sequence", "occurred_at", "actor", "agency", "action", "target_type", "target_id",
    "request_id", "ip", "hash",
]  # fmt: skip


@require_GET
@console_page(HUB_STAFF)
def console_home(request: HttpRequest) -> HttpResponse:
    return redirect("console-operations")


@require_GET
@console_page(AUDITORS)
def events(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = EventFilterForm(request.GET or None)
    where = form.event_filter() if form.is_bound and form.is_valid() else EventFilter()
    found = console_events(where)
    if request.GET.get("format") == "csv":
        return _csv(request, found)
    page = Paginator(found, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/console/events.html",
        {"form": form, "page": page, "query": query.urlencode(), "section": "events"},
    )


def _csv(request: HttpRequest, found: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    with transaction.atomic():
        # An export takes the trail out of the hub: that is itself on the record.
        audit_record(
            action="audit.console.exported", actor=request.user, after={"query": request.GET.dict()}
        )

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(CSV_HEADER)
        for event in found.iterator(chunk_size=2000):
            writer.writerow(csv_row(event))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
    return response


@require_GET
@console_page(AUDITORS)
def letter(request: HttpRequest, letter_id: int) -> HttpResponse:
    found = get_object_or_404(
        Letter.objects.select_related("agency", "sender_agency"), pk=letter_id
    )
    deliveries = Delivery.objects.filter(letter=found).select_related("recipient")
    return render(
        request,
        "audit/console/letter.html",
        {
            "letter": found,
            "deliveries": deliveries,
            "timeline": letter_timeline(found),
            "section": "events",
        },
    )


@require_GET
@console_page(AUDITORS)
def evidence(request: HttpRequest, letter_id: int) -> FileResponse:
    found = get_object_or_404(Letter, pk=letter_id)
    with transaction.atomic():
        audit_record(
            action="audit.evidence.exported", actor=request.user, agency=found.agency, target=found
        )
    # On disk, not in memory: a bundle can be large. FileResponse closes it when sent.
    bundle = tempfile.TemporaryFile()  # noqa: SIM115
    evidence_bundle_write(letter=found, out=bundle)
    bundle.seek(0)
    return FileResponse(
        bundle, as_attachment=True, filename=f"evidence-letter-{found.pk}.zip",
        content_type="application/zip",
    )  # fmt: skip


@require_GET
@console_page(HUB_STAFF)
def chain(request: HttpRequest) -> HttpResponse:
    report = audit_chain_verify()
    key = AuditSigningKey.objects.order_by("-created_at", "-id").first()
    return render(
        request,
        "audit/console/chain.html",
        {
            "report": report,
            "last_checkpoint": AuditCheckpoint.objects.order_by("-sequence", "-id").first(),
            "key_fingerprint": certificate_fingerprint(key.certificate_pem) if key else "",
            "section": "chain",
        },
    )


@require_GET
@console_page(HUB_STAFF)
def operations(request: HttpRequest) -> HttpResponse:
    can_redrive = HubRoleName.HUB_ADMIN in hub_roles_of(request.user)
    return render(
        request,
        "audit/console/operations.html",
        {
            "health": delivery_health(),
            "stuck": stuck_deliveries()[:100],
            "certificates": expiring_certificates(),
            "can_redrive": can_redrive,
            "redrive_form": RedriveForm(),
            "section": "operations",
        },
    )


@require_POST
@console_page((HubRoleName.HUB_ADMIN,))
def redrive(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    form = RedriveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for trying again."))
        return redirect("console-operations")
    try:
        delivery_redrive(
            delivery=delivery, actor=signed_in(request), reason=form.cleaned_data["reason"]
        )
    except HubError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect("console-operations")


@require_http_methods(["GET", "POST"])
@console_page((HubRoleName.HUB_ADMIN,))
def break_glass(request: HttpRequest, letter_id: int) -> HttpResponse:
    """A hub administrator opens an agency's secret letter, in the open: a reason, audited
    under the agency and listed to it. Only the letter and its files' names are shown, for this
    answer; the files themselves are not served (each would be another opening)."""
    found = get_object_or_404(Letter.objects.select_related("agency"), pk=letter_id)
    form = BreakGlassForm(request.POST or None)
    opened = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                opened = secret_letter_break_glass(
                    letter=found, user=signed_in(request), reason=form.cleaned_data["reason"]
                )
            except HubError as error:
                form.add_error("reason", str(error.message))
        if opened is None:
            status = 400
    return render(
        request,
        "audit/console/break_glass.html",
        {
            "letter": found,
            "form": form,
            "opened": opened,
            "references": opened.references if opened is not None else (),
            "section": "operations",
        },
        status=status,
    )


def signed_in(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # console_page let only signed-in users through
    return request.user

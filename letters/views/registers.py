"""The receive and dispatch registers (ทะเบียนหนังสือรับ/ส่ง): a date range, printed or exported.

The page shows PAGE_LINES lines at a time (a busy agency registers thousands a month, and
rendering them all at once costs more than the clerk waits for); each page prints on its own,
and the exports carry every line of the range.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.models import Agency
from letters.exports import register_csv, register_xlsx
from letters.forms import RegisterRangeForm
from letters.models import RegisterKind
from letters.selectors import register_lines
from letters.xlsx import MEDIA_TYPE as XLSX

from .common import agency_of, clerk_page

PAGE_LINES = 200
KINDS = {"receive": RegisterKind.RECEIVE, "dispatch": RegisterKind.DISPATCH}


def _kind(kind: str) -> RegisterKind:
    if kind not in KINDS:
        raise Http404()
    return KINDS[kind]


def _range(request: HttpRequest) -> tuple[RegisterRangeForm, datetime.date, datetime.date]:
    """The range asked for, ``?from=&to=`` typed the Thai way; this month until today else."""
    today = timezone.localdate()
    form = RegisterRangeForm(
        {"date_from": request.GET.get("from", ""), "date_to": request.GET.get("to", "")}
    )
    start, end = today.replace(day=1), today
    if form.is_valid():
        start = form.cleaned_data["date_from"] or start
        end = form.cleaned_data["date_to"] or end
    return form, start, end


def _lines(agency: Agency, kind: RegisterKind, start: datetime.date, end: datetime.date) -> Any:
    return register_lines(agency=agency, register=kind, date_from=start, date_to=end)


def _title(kind: RegisterKind) -> str:
    return _("Receive register") if kind == RegisterKind.RECEIVE else _("Dispatch register")


@clerk_page
@require_GET
def register(request: HttpRequest, kind: str) -> HttpResponse:
    agency, register_kind = agency_of(request), _kind(kind)
    form, start, end = _range(request)
    lines = _lines(agency, register_kind, start, end)
    page = Paginator(lines, PAGE_LINES).get_page(request.GET.get("page"))
    return render(
        request,
        "letters/register.html",
        {
            "agency": agency,
            "kind": kind,
            "title": _title(register_kind),
            "form": form,
            "start": start,
            "end": end,
            "page": page,
            "lines": page.object_list,
            "query": request.GET.urlencode(),
        },
        status=200 if form.is_valid() else 400,
    )


@clerk_page
@require_GET
def register_export(request: HttpRequest, kind: str, fmt: str) -> HttpResponseBase:
    """The register of the range as CSV (UTF-8 with BOM) or XLSX, every line."""
    agency, register_kind = agency_of(request), _kind(kind)
    _form, start, end = _range(request)
    lines = _lines(agency, register_kind, start, end).iterator()
    name = f"{kind}-register-{agency.key}-{start.isoformat()}-{end.isoformat()}"
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(
            register_csv(lines), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        response = HttpResponse(
            register_xlsx(lines, sheet_name=_title(register_kind)), content_type=XLSX
        )
    else:
        raise Http404()
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response

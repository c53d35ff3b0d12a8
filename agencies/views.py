from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .acting import acting_agency_set


@login_required
@require_POST
def switch_agency(request: HttpRequest) -> HttpResponse:
    """Act for another of the user's agencies; always land on the home page (no open redirect)."""
    try:
        agency_id = int(request.POST.get("agency", ""))
    except ValueError:
        agency_id = 0
    if acting_agency_set(request, agency_id=agency_id) is None:
        messages.error(request, _("You are not a member of that agency."))
    return redirect("home")

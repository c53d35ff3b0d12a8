"""The console's filter and redrive forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .selectors import EventFilter


class EventFilterForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.order_by("name_th"), required=False, label=_("Agency")
    )
    actor = forms.CharField(required=False, max_length=150, label=_("Actor"))
    action = forms.CharField(
        required=False, max_length=100, label=_("Action"), help_text=_("Or its beginning")
    )
    letter = forms.IntegerField(required=False, min_value=1, label=_("Letter id"))
    day_from = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    day_to = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def event_filter(self) -> EventFilter:
        data: dict[str, Any] = self.cleaned_data
        return EventFilter(
            agency=data.get("agency"),
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            letter_id=data.get("letter"),
            day_from=data.get("day_from"),
            day_to=data.get("day_to"),
        )


class RedriveForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label=_("Reason"),
        help_text=_("Why try again now: what was fixed. It goes into the audit trail."),
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the hub must read this secret letter (a court order, an incident): at least "
            "20 characters. It is recorded, audited under the agency and shown to the agency."
        ),
    )

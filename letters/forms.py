"""Forms of the clerk UI: they validate what a clerk typed and hand services clean values.

Error messages are translatable sentences a clerk can act on; nothing here touches the
database beyond reading choices.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .models import LetterStatus, Secrecy, Urgency
from .selectors import InboxFilter
from .services.letters import REFUSALS
from .thai import ce_year, parse_thai_date, to_arabic_digits

INCOMING_STATUSES = (
    LetterStatus.RECEIVED,
    LetterStatus.REGISTERED,
    LetterStatus.REJECTED,
    LetterStatus.WRONG_RECIPIENT,
    LetterStatus.WITHDRAWN,
)
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# Years from here on are Buddhist Era: no letter in the hub is dated before C.E. 1857.
BE_YEAR_FROM = 2400
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _any(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class BuddhistEraDateField(forms.Field):
    """A date typed the Thai way: 22/4/2569 (B.E.), 22 เม.ย. 2569, or ISO 2026-04-22.

    Thai or Arabic digits. A four-digit year from 2400 is read as B.E., an earlier one as
    C.E., so a date picker's ISO value and a clerk's B.E. typing both work.
    """

    default_error_messages = {
        "invalid": _("Type the date as day/month/year B.E., e.g. 22/04/2569."),
    }

    def to_python(self, value: Any) -> datetime.date | None:
        text = to_arabic_digits(str(value or "")).strip()
        if not text:
            return None
        try:
            if match := _ISO.match(text):
                year, month, day = (int(part) for part in match.groups())
                return datetime.date(_gregorian(year), month, day)
            if match := _SLASHED.match(text):
                day, month, year = (int(part) for part in match.groups())
                return datetime.date(_gregorian(year), month, day)
            return parse_thai_date(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def _gregorian(year: int) -> int:
    return ce_year(year) if year >= BE_YEAR_FROM else year


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=_any(_("Any urgency")) + Urgency.choices
    )
    secrecy = forms.ChoiceField(
        label=_("Secrecy"),
        required=False,
        choices=_any(_("Any secrecy")) + [c for c in Secrecy.choices if c[0] != Secrecy.TOP_SECRET],
    )
    sender = forms.ChoiceField(label=_("From"), required=False)
    received_from = BuddhistEraDateField(label=_("Received from"), required=False)
    received_to = BuddhistEraDateField(label=_("Received until"), required=False)

    def __init__(self, *args: Any, senders: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = _any(_("Any status")) + [
            (status.value, status.label) for status in INCOMING_STATUSES
        ]
        sender_field = self.fields["sender"]
        assert isinstance(sender_field, forms.ChoiceField)
        sender_field.choices = _any(_("Any sender")) + [
            (agency.key, str(agency)) for agency in senders
        ]

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        return cleaned

    def inbox_filter(self) -> InboxFilter:
        data = self.cleaned_data
        return InboxFilter(
            statuses=(data["status"],) if data.get("status") else (),
            urgencies=(data["urgency"],) if data.get("urgency") else (),
            secrecies=(data["secrecy"],) if data.get("secrecy") else (),
            sender_key=data.get("sender") or "",
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
        )


class TokenForm(forms.Form):
    """A form rendered with ``{% form_token %}``: its token makes a repeated post one action."""

    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_form_token(self) -> str | None:
        token = self.cleaned_data.get("form_token") or ""
        # An odd token is not refused (the clerk's action still counts), only not trusted.
        return token if _TOKEN.match(token) else None


class RefuseForm(TokenForm):
    outcome = forms.ChoiceField(
        label=_("Refuse as"),
        choices=[(status.value, status.label) for status in REFUSALS],
        widget=forms.RadioSelect,
        error_messages={
            "required": _(
                "Choose whether to reject the letter or to mark it as sent to the wrong agency."
            )
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason: the sender sees it.")},
    )


class EndorsementForm(TokenForm):
    text = forms.CharField(
        label=_("Endorsement (เกษียน)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the endorsement before saving it.")},
    )


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A member of the agency, named as colleagues know them: full name, else username."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class AssignmentForm(TokenForm):
    assignee = MemberChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        empty_label=_("Choose a person"),
        error_messages={
            "required": _("Choose the person to assign the letter to."),
            "invalid_choice": _("The person to assign must be a member of your agency."),
        },
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = members

"""Forms of the clerk UI: they validate what a clerk typed and hand services clean values.

Error messages are translatable sentences a clerk can act on; nothing here touches the
database beyond reading choices.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .models import LetterKind, LetterStatus, Secrecy, Urgency
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


# --- compose (หนังสือออก) -------------------------------------------------------------------

REFERENCE_ROWS = 3
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?:\s*น\.?)?$")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; none is fine."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _file_size_check(upload: Any) -> None:
    limit = settings.HUB_MAX_ATTACHMENT_BYTES
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(
            _("“%(name)s” is larger than the hub accepts (%(limit)s MB at most)."),
            code="too_large",
            params={"name": upload.name, "limit": limit // (1024 * 1024)},
        )


class ComposeForm(TokenForm):
    """Every field of an external letter or memo, as a clerk types it (LetterFields)."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=LetterKind.choices, initial=LetterKind.EXTERNAL
    )
    series = forms.ChoiceField(
        label=_("Number series"),
        choices=[("normal", _("Normal")), ("circular", _("Circular (ว)"))],
        initial="normal",
    )
    subject = forms.CharField(
        label=_("Subject (เรื่อง)"),
        max_length=1000,
        error_messages={"required": _("Write the subject of the letter.")},
    )
    salutation = forms.CharField(label=_("Salutation"), max_length=50, initial="เรียน")
    addressee = forms.CharField(label=_("Addressee (position)"), max_length=500, required=False)
    body = forms.CharField(
        label=_("Body"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    closing = forms.CharField(
        label=_("Closing"), max_length=100, required=False, initial="ขอแสดงความนับถือ"
    )
    signer_name = forms.CharField(label=_("Signer's name"), max_length=255, required=False)
    signer_position = forms.CharField(label=_("Signer's position"), max_length=500, required=False)
    owning_unit = forms.CharField(label=_("Owning unit"), max_length=255, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        error_messages={"invalid": _("Type a whole e-mail address, e.g. saraban@example.go.th.")},
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    secrecy = forms.ChoiceField(label=_("Secrecy"), choices=Secrecy.choices, initial=Secrecy.NONE)
    deadline_date = BuddhistEraDateField(label=_("Act by: date (ด่วนภายใน)"), required=False)
    deadline_time = forms.CharField(label=_("Act by: time"), required=False, max_length=10)
    main_pdf = forms.FileField(label=_("Main letter (PDF)"), required=False)
    enclosures = MultipleFileField(label=_("Enclosures (สิ่งที่ส่งมาด้วย)"), required=False)

    def __init__(self, *args: Any, own_agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_agency = own_agency
        for index in range(REFERENCE_ROWS):
            self.fields[f"reference_number_{index}"] = forms.CharField(
                label=_("Letter number"), max_length=100, required=False
            )
            self.fields[f"reference_date_{index}"] = BuddhistEraDateField(
                label=_("Date"), required=False
            )
            self.fields[f"reference_subject_{index}"] = forms.CharField(
                label=_("Subject"), max_length=1000, required=False
            )

    def reference_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (
                self[f"reference_number_{index}"],
                self[f"reference_date_{index}"],
                self[f"reference_subject_{index}"],
            )
            for index in range(REFERENCE_ROWS)
        ]

    def clean_secrecy(self) -> str:
        secrecy = str(self.cleaned_data["secrecy"])
        if secrecy == Secrecy.TOP_SECRET:
            raise forms.ValidationError(
                _(
                    "Top secret (ลับที่สุด) letters must not be sent electronically. "
                    "Send them by hand through the secret registry."
                ),
                code="top_secret",
            )
        return secrecy

    def clean_deadline_time(self) -> datetime.time | None:
        text = to_arabic_digits(self.cleaned_data.get("deadline_time") or "").strip()
        if not text:
            return None
        match = _TIME.match(text)
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            raise forms.ValidationError(_("Type the time as hours.minutes, e.g. 16.30."))
        return datetime.time(int(match[1]), int(match[2]))

    def clean_main_pdf(self) -> Any:
        upload = self.cleaned_data.get("main_pdf")
        if upload:
            _file_size_check(upload)
            if not upload.name.lower().endswith(".pdf"):
                raise forms.ValidationError(
                    _("The main letter must be a PDF file (.pdf)."), code="not_pdf"
                )
        return upload

    def clean_enclosures(self) -> list[Any]:
        uploads: list[Any] = self.cleaned_data.get("enclosures") or []
        for upload in uploads:
            _file_size_check(upload)
        return uploads

    def _posted(self, name: str) -> list[str]:
        data = self.data
        return [str(value) for value in data.getlist(name)] if isinstance(data, QueryDict) else []

    def _agencies(self, role: str) -> list[Agency]:
        keys = [key for key in self._posted(role) if key] if self.is_bound else []
        found = {
            agency.key: agency for agency in Agency.objects.filter(key__in=keys, is_active=True)
        }
        missing = [key for key in keys if key not in found]
        if missing:
            self.add_error(None, _("A chosen recipient is not in the directory any more."))
        return [found[key] for key in dict.fromkeys(keys) if key in found]

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        to, cc = self._agencies("to"), self._agencies("cc")
        cc = [agency for agency in cc if agency not in to]
        if self.own_agency in to or self.own_agency in cc:
            self.add_error(None, _("Your own agency cannot be a recipient of its letter."))
        cleaned["to"], cleaned["cc"] = to, cc
        day, time = cleaned.get("deadline_date"), cleaned.get("deadline_time")
        if time and not day:
            self.add_error("deadline_date", _("Give the date of the deadline too."))
        cleaned["urgent_deadline"] = (
            timezone.make_aware(datetime.datetime.combine(day, time or datetime.time(16, 30)))
            if day
            else None
        )
        return cleaned

    def chosen(self) -> list[tuple[Agency, str]]:
        """The recipients as the form holds them now (for re-showing the picker)."""
        if not self.is_bound:
            return []
        data = getattr(self, "cleaned_data", {})
        if "to" in data:
            return [(a, "to") for a in data["to"]] + [(a, "cc") for a in data["cc"]]
        keys = {role: self._posted(role) for role in ("to", "cc")}
        agencies = {a.key: a for a in Agency.objects.filter(key__in=keys["to"] + keys["cc"])}
        return [
            (agencies[key], role)
            for role in ("to", "cc")
            for key in dict.fromkeys(keys[role])
            if key in agencies
        ]


class RegisterRangeForm(forms.Form):
    """The date range of a register page; B.E. typing as in the inbox filters."""

    date_from = BuddhistEraDateField(label=_("From"), required=False)
    date_to = BuddhistEraDateField(label=_("Until"), required=False)

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for withdrawing: the recipient sees it.")},
    )

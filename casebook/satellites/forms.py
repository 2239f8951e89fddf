"""The public booking form and the staff forms of the satellite screens (no rules here: the
services check them; these only parse)."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casebook.common.choices import ModelChoiceField
from casebook.common.web import OneTimeTokenForm
from casebook.intake.forms import ClientFieldsForm
from casebook.intake.models import Case
from casebook.satellites.models import ExceptionKind, Slot

STARTED_SALT = "casebook.satellites.form-started"


def form_started_token() -> str:
    """When the form was shown, signed, so that a bot cannot claim it took its time."""
    return signing.dumps(time.time(), salt=STARTED_SALT)


class SlotChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Slot) -> str:
        start, end = timezone.localtime(obj.starts_at), timezone.localtime(obj.ends_at)
        return f"{start:%H:%M}–{end:%H:%M}"


class PublicBookingForm(forms.Form):
    slot = SlotChoiceField(
        label=_("Time"),
        queryset=Slot.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": _("this time is no longer free; choose another")},
    )
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    contact_name = forms.CharField(label=_("Contact person"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    topic = forms.CharField(
        label=_("What would you like to discuss?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    privacy_consent = forms.BooleanField(
        label=_("I agree to the privacy notice"),
        error_messages={"required": _("please agree to the privacy notice to book")},
    )
    # Hidden from people (see the template); a bot that fills every field fills this one.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, slots: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        if not self.is_bound:
            self.initial["started"] = form_started_token()

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError(
                _("the form could not be accepted; please try again"), code="honeypot"
            )
        try:
            started = float(
                signing.loads(cleaned.get("started", ""), salt=STARTED_SALT, max_age=24 * 3600)
            )
        except (signing.BadSignature, TypeError, ValueError):
            started = None
        if started is None:
            raise forms.ValidationError(
                _("the form has expired; please reload the page and fill it in again"),
                code="expired",
            )
        if time.time() - started < settings.CASEBOOK_BOOKING_MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("the form was sent too quickly; please check your entries and send it again"),
                code="too_fast",
            )
        return cleaned


class CaseChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Case) -> str:
        return f"{obj.number} {obj.title}"


class StaffBookingForm(OneTimeTokenForm, ClientFieldsForm):
    """Staff book a slot: the client found by the search (`client`) or registered here as at
    intake, optionally one of the client's open cases, the topic."""

    client = forms.IntegerField(widget=forms.HiddenInput, required=False)
    allow_duplicate = forms.BooleanField(label=_("register as a new client anyway"), required=False)
    case = CaseChoiceField(
        label=_("Case"),
        queryset=Case.objects.none(),
        required=False,
        empty_label=_("none (check-in opens a new case)"),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    topic = forms.CharField(
        label=_("Topic"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, cases: QuerySet[Case] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A client found by the search needs no details (the service asks for the kind of a
        # client registered here).
        self.fields["kind"].required = False
        if cases is not None:
            self.fields["case"].queryset = cases


class CancelBookingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class CounselorChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


WEEKDAY_CHOICES = [
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
]
WEEK_CHOICES = [(str(n), _("week %(n)s") % {"n": n}) for n in range(1, 6)]


class ScheduleRuleForm(forms.Form):
    """A rule of the rota; the service checks every rule (the form only parses)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    weeks = forms.MultipleChoiceField(
        label=_("Weeks of the month"),
        choices=WEEK_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("none for every week"),
    )
    starts_at = forms.TimeField(label=_("From"), widget=TimeInput())
    ends_at = forms.TimeField(label=_("Until"), widget=TimeInput())
    counselor = CounselorChoiceField(
        label=_("Counselor on the rota"), queryset=None, required=False, empty_label="—"
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput(), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, counselors: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counselor"].queryset = counselors

    def rule_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "weekdays": ",".join(data["weekdays"]),
            "weeks": ",".join(data["weeks"]),
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "counselor": data["counselor"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
            "note": data["note"],
        }


class DayExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=ExceptionKind.choices)
    starts_at = forms.TimeField(label=_("From"), widget=TimeInput(), required=False)
    ends_at = forms.TimeField(label=_("Until"), widget=TimeInput(), required=False)
    counselor = CounselorChoiceField(
        label=_("Counselor"), queryset=None, required=False, empty_label="—"
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, counselors: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counselor"].queryset = counselors


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SlotMinutesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"))


class GenerateForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("Until"), widget=DateInput())

"""Forms of the screens. They parse and present input; every rule is checked by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from casebook.accounts.models import Desk, User
from casebook.common.choices import ModelChoiceField, ModelMultipleChoiceField
from casebook.common.web import OneTimeTokenForm
from casebook.intake.models import (
    CLIENT_INPUT_FIELDS,
    AdrState,
    ClientKind,
    ClosureReason,
    Confidentiality,
    DisputeType,
    Industry,
    IntakeChannel,
    IpRight,
    Priority,
    SessionMode,
    Topic,
)
from casebook.satellites.models import Office

# Restricted is set by the exit track only, so the forms never offer it.
EDITABLE_CONFIDENTIALITY = [
    (Confidentiality.NORMAL.value, Confidentiality.NORMAL.label),
    (Confidentiality.CONFIDENTIAL.value, Confidentiality.CONFIDENTIAL.label),
]

# Django 6.1's label of a model field's blank choice; its own catalogue has no Japanese for it
# yet, so the project's catalogue carries it.
gettext_noop("- Select an option -")


def topic_choices() -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in Topic.objects.order_by("sort_order")]


class TopicChips(forms.CheckboxSelectMultiple):
    """Topics as a row of toggle chips (checkboxes the field template lays out as chips)."""


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class UserChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class UserMultipleChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


# --- search --------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )


# --- intake ---------------------------------------------------------------------------------


class ClientFieldsForm(forms.Form):
    """A new client's details, filled in when the search found no match."""

    kind = forms.ChoiceField(label=_("kind"), choices=ClientKind.choices, initial="company")
    name = forms.CharField(label=_("name"), max_length=200, required=False)
    name_kana = forms.CharField(
        label=_("name (kana)"),
        max_length=200,
        required=False,
        help_text=_("reading in hiragana or katakana"),
    )
    corporate_number = forms.CharField(
        label=_("corporate number"),
        max_length=20,
        required=False,
        help_text=_("13 digits, if the client is a company"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    representative = forms.CharField(label=_("representative"), max_length=100, required=False)
    industry = forms.ChoiceField(
        label=_("industry"), choices=[("", "—"), *Industry.choices], required=False
    )
    capital_yen = forms.IntegerField(label=_("capital (yen)"), required=False, min_value=0)
    employees = forms.IntegerField(label=_("employees"), required=False, min_value=0)
    postal_code = forms.CharField(
        label=_("postal code"),
        max_length=10,
        required=False,
        help_text=_("the prefecture and municipality follow from it"),
        # Typing a code asks for its place; the answer fills the two fields below
        # (intake/views/clients.py::postal_code_place).
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "placeholder": "310-0000",
                "hx-get": reverse_lazy("postal_code_place"),
                "hx-trigger": "input changed delay:300ms, change",
                "hx-target": "next small.help",
                "hx-swap": "innerHTML",
            }
        ),
    )
    prefecture = forms.CharField(label=_("prefecture"), max_length=10, required=False)
    municipality = forms.CharField(label=_("municipality"), max_length=50, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("e-mail"), required=False)

    # The client fields of the intake form (the innovation plan is recorded later).
    CLIENT_FIELDS = tuple(name for name in CLIENT_INPUT_FIELDS if name != "has_innovation_plan")

    def client_fields(self) -> dict[str, Any]:
        """The values for `client_create`: numbers stay None when empty, text becomes ""."""
        numbers = ("capital_yen", "employees")
        return {
            name: self.cleaned_data.get(name)
            if name in numbers
            else self.cleaned_data.get(name) or ""
            for name in self.CLIENT_FIELDS
        }

    def has_client_details(self) -> bool:
        return any(
            self.cleaned_data.get(name) not in (None, "")
            for name in self.CLIENT_FIELDS
            if name != "kind"
        )


class IntakeForm(OneTimeTokenForm, ClientFieldsForm):
    """Search-or-create a client, then the case: one form, one step."""

    client = forms.IntegerField(widget=forms.HiddenInput, required=False)
    allow_duplicate = forms.BooleanField(label=_("register as a new client anyway"), required=False)
    desk = ModelChoiceField(label=_("desk"), queryset=Desk.objects.none(), empty_label=None)
    title = forms.CharField(label=_("title"), max_length=200)
    topics = forms.MultipleChoiceField(label=_("topics"), required=False, widget=TopicChips)
    intake_channel = forms.ChoiceField(
        label=_("intake channel"), choices=IntakeChannel.choices, initial=IntakeChannel.WALK_IN
    )
    intake_office = ModelChoiceField(
        label=_("intake office"), queryset=Office.objects.all(), required=False, empty_label="—"
    )
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, initial="normal")
    confidentiality = forms.ChoiceField(
        label=_("confidentiality"),
        choices=[("", _("desk default")), *EDITABLE_CONFIDENTIALITY],
        required=False,
    )
    take_myself = forms.BooleanField(label=_("I lead this case myself"), required=False)

    def __init__(self, *args: Any, desks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desk"].queryset = desks
        self.fields["topics"].choices = topic_choices()

    def case_fields(self) -> dict[str, Any]:
        """The values for `case_open`: the case's own fields, the desk's default
        confidentiality when none is chosen."""
        data = self.cleaned_data
        names = ("title", "intake_channel", "topics", "intake_office", "priority")
        return {name: data[name] for name in names} | {
            "confidentiality": data["confidentiality"] or None
        }


class ClientEditForm(OneTimeTokenForm, ClientFieldsForm):
    """A client's details as the intake form takes them, with the version the page read."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    has_innovation_plan = forms.BooleanField(
        label=_("approved management innovation plan"), required=False
    )
    allow_duplicate = forms.BooleanField(label=_("save even so"), required=False)

    CLIENT_FIELDS = CLIENT_INPUT_FIELDS

    def client_fields(self) -> dict[str, Any]:
        return super().client_fields() | {
            "has_innovation_plan": self.cleaned_data["has_innovation_plan"]
        }


class ClientMergeForm(OneTimeTokenForm, forms.Form):
    """Which client is merged into the one of the page; the versions both were previewed at."""

    other = forms.IntegerField(
        label=_("number of the client to merge into this one"),
        min_value=1,
        help_text=_("the client's number (#) as its page shows it"),
    )
    survivor_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    other_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class ContactForm(OneTimeTokenForm, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("name"), max_length=100, required=False)
    name_kana = forms.CharField(label=_("name (kana)"), max_length=100, required=False)
    title = forms.CharField(label=_("title"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    email = forms.EmailField(label=_("e-mail"), required=False)
    is_primary = forms.BooleanField(label=_("primary contact"), required=False)

    def contact_fields(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "form_token")
        }


# --- case -------------------------------------------------------------------------------------


class CaseEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("title"), max_length=200)
    topics = forms.MultipleChoiceField(label=_("topics"), required=False, widget=TopicChips)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices)
    confidentiality = forms.ChoiceField(
        label=_("confidentiality"), choices=EDITABLE_CONFIDENTIALITY
    )
    co_counselors = UserMultipleChoiceField(
        label=_("co-counselors"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    COMPARED = ("title", "topics", "priority", "confidentiality", "co_counselors")

    def __init__(self, *args: Any, staff: Any, restricted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = topic_choices()
        self.fields["co_counselors"].queryset = staff
        if restricted:
            # A restricted case stays restricted; the field shows it but cannot change it.
            self.fields["confidentiality"].choices = [
                (Confidentiality.RESTRICTED.value, Confidentiality.RESTRICTED.label)
            ]
            self.fields["confidentiality"].disabled = True


class AssignForm(forms.Form):
    counselor = UserChoiceField(label=_("lead counselor"), queryset=User.objects.none())
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counselor"].queryset = staff


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("why the case waits"), max_length=200, required=False)
    resume_by = forms.DateField(label=_("resume by"), required=False, widget=DateInput)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("closure reason"), choices=[("", "—"), *ClosureReason.choices], required=False
    )
    summary = forms.CharField(
        label=_("closure summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    duplicate_of = forms.CharField(
        label=_("surviving case number"),
        required=False,
        max_length=40,
        help_text=_("only when the reason is duplicate, e.g. yorozu-2026-00042"),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("why the case is reopened"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- session ----------------------------------------------------------------------------------


class SessionForm(OneTimeTokenForm, forms.Form):
    started_at = forms.DateTimeField(label=_("started at"), widget=DateTimeInput)
    duration_minutes = forms.IntegerField(
        label=_("duration (minutes)"),
        initial=60,
        widget=forms.NumberInput(attrs={"step": 1, "min": 1, "max": 720}),
    )
    mode = forms.ChoiceField(
        label=_("mode"), choices=SessionMode.choices, initial=SessionMode.IN_PERSON_HQ
    )
    office = ModelChoiceField(
        label=_("office"), queryset=Office.objects.all(), required=False, empty_label="—"
    )
    counselors = UserMultipleChoiceField(
        label=_("counselors present"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    client_attendees = forms.CharField(label=_("client attendees"), max_length=200, required=False)
    topics = forms.MultipleChoiceField(label=_("topics"), required=False, widget=TopicChips)
    summary = forms.CharField(
        label=_("summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
    )
    advice = forms.CharField(
        label=_("advice given"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    client_next_actions = forms.CharField(
        label=_("client's next actions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    our_next_actions = forms.CharField(
        label=_("our next actions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up_on = forms.DateField(label=_("follow-up date"), required=False, widget=DateInput)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = topic_choices()
        self.fields["counselors"].queryset = staff
        self.fields["started_at"].widget.attrs["max"] = timezone.localtime().strftime(
            "%Y-%m-%dT%H:%M"
        )

    @staticmethod
    def session_fields(data: dict[str, Any]) -> dict[str, Any]:
        """The values for `session_log`: every field but the token; nobody ticked is None
        (the service then names the one who logs it)."""
        fields = {name: value for name, value in data.items() if name != "form_token"}
        return fields | {"counselors": list(data["counselors"]) or None}


class SessionEditForm(SessionForm):
    """A correction of a session: past the edit window it needs a reason (the service says)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("reason for the amendment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("required once the session is older than 7 days"),
    )

    def __init__(self, *args: Any, amendment: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["summary"].widget.attrs.pop("autofocus", None)
        if amendment:
            self.fields["reason"].widget.attrs["autofocus"] = True

    @staticmethod
    def update_fields(data: dict[str, Any]) -> dict[str, Any]:
        """The values for `session_update`: the counselors as ticked (an empty tick keeps
        nobody out: the service refuses a session without counselors)."""
        fields = {
            name: value
            for name, value in data.items()
            if name not in ("form_token", "version", "reason")
        }
        return fields | {"counselors": list(data["counselors"])}


# --- desk specifics ---------------------------------------------------------------------------


class DeskDetailsForm(forms.Form):
    """The version of the details the page read: a save over a newer one is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SubcontractDetailsForm(DeskDetailsForm):
    counterpart_company = forms.CharField(
        label=_("counterpart company"), max_length=200, required=False
    )
    dispute_type = forms.ChoiceField(
        label=_("dispute type"), choices=[("", "—"), *DisputeType.choices], required=False
    )
    law_breach_suspected = forms.BooleanField(
        label=_("breach of the law suspected"), required=False
    )
    forwarded_to_meti_on = forms.DateField(
        label=_("forwarded to the regional METI bureau on"), required=False, widget=DateInput
    )
    free_lawyer_consultation = forms.BooleanField(
        label=_("free lawyer consultation"), required=False
    )
    adr_state = forms.ChoiceField(
        label=_("ADR mediation"), choices=AdrState.choices, required=False
    )
    adr_filed_on = forms.DateField(label=_("ADR filed on"), required=False, widget=DateInput)


class CountryCodesField(forms.CharField):
    """Two-letter codes separated by commas or spaces (`US, CN`); the service checks them."""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return [part for part in text.replace("、", ",").replace(",", " ").split() if part]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value


class IpDetailsForm(DeskDetailsForm):
    invention_disclosed_on = forms.DateField(
        label=_("invention disclosed on"),
        required=False,
        widget=DateInput,
        help_text=_("the 1-year novelty grace period (Patent Act art. 30) runs from this date"),
    )
    rights_sought = forms.MultipleChoiceField(
        label=_("rights sought"),
        choices=IpRight.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    foreign_filing_countries = CountryCodesField(
        label=_("countries for foreign filing"),
        required=False,
        help_text=_("two-letter codes, e.g. US, CN, EP"),
    )
    filing_outcome = forms.CharField(label=_("filing outcome"), max_length=200, required=False)

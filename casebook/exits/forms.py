"""The exit track's forms: each hands its fields to one service (the rules live there)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.common.choices import ModelChoiceField
from casebook.common.web import OneTimeTokenForm
from casebook.exits.models import ExitOutcome, ExitPath, ExitStage, RiskFlag
from casebook.exits.policy import MILESTONE_OWNER_RULE, PLAN_OWNER_RULE


class _Dated(forms.DateInput):
    input_type = "date"


class PutOnTrackForm(OneTimeTokenForm):
    path = forms.ChoiceField(label=_("path"), choices=ExitPath.choices)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class TakeOffTrackForm(OneTimeTokenForm):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class PlanForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"), choices=ExitStage.choices)
    risk_flags = forms.MultipleChoiceField(
        label=_("risk flags"),
        choices=RiskFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    owner = ModelChoiceField(label=_("owner"), queryset=None, required=False)
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=[("", "—"), *ExitOutcome.choices], required=False
    )
    rechallenge_on = forms.DateField(
        label=_("re-challenge follow-up"), required=False, widget=_Dated
    )
    dissolution_resolved_on = forms.DateField(
        label=_("dissolution resolved"), required=False, widget=_Dated
    )
    dissolved_on = forms.DateField(label=_("dissolution date"), required=False, widget=_Dated)
    gazette_notice_on = forms.DateField(
        label=_("gazette notice published"), required=False, widget=_Dated
    )
    liquidation_report_approved_on = forms.DateField(
        label=_("liquidation report approved"), required=False, widget=_Dated
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff
        self.fields["owner"].error_messages["invalid_choice"] = PLAN_OWNER_RULE


class MilestoneForm(forms.Form):
    owner = ModelChoiceField(label=_("owner"), queryset=None, required=False)
    due_on = forms.DateField(label=_("due on"), required=False, widget=_Dated)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff
        self.fields["owner"].error_messages["invalid_choice"] = MILESTONE_OWNER_RULE


class CompleteForm(forms.Form):
    completed_on = forms.DateField(label=_("completed on"), required=False, widget=_Dated)
    note = forms.CharField(label=_("note"), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReopenForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ExportFilterForm(forms.Form):
    path = forms.ChoiceField(
        label=_("path"), choices=[("", "—"), *ExitPath.choices], required=False
    )
    stage = forms.ChoiceField(
        label=_("stage"), choices=[("", "—"), *ExitStage.choices], required=False
    )
    on_track = forms.TypedChoiceField(
        label=_("on the track"),
        choices=[("", "—"), ("true", _("yes")), ("false", _("no"))],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
    )


ACCESS_VIA = [
    ("", "—"),
    ("web", _("case page")),
    ("timeline", _("case timeline")),
    ("api", _("API")),
    ("api-list", _("API list")),
    ("board", _("desk board")),
    ("home", _("my cases")),
    ("search", _("search")),
    ("client", _("client page")),
    ("referral", _("referral")),
    ("order", _("dispatch order")),
    ("inbox", _("notifications")),
    ("exit_track", _("exit track")),
    ("export", _("export")),
    ("dispatch:web", _("dispatch")),
    ("dispatch:order", _("dispatch order")),
    ("dispatch:api", _("dispatch (API)")),
    ("dispatch:api-list", _("dispatch list (API)")),
    ("attachment", _("attaching a file")),
    ("appi_export", _("APPI personal-data export")),
    ("history", _("history (audit trail)")),
]
# Downloads are logged per file (`attachment:<id>`, docs/security.md, "Attachments"): they
# are labelled by their prefix rather than listed one by one.
ACCESS_VIA_PREFIXES = [("attachment:", _("download of file #%s"))]


def access_via_label(via: str) -> str:
    """The reader's words for an access-log `via` value; an unknown value is shown as is."""
    for value, label in ACCESS_VIA:
        if value and value == via:
            return str(label)
    for prefix, label in ACCESS_VIA_PREFIXES:
        if via.startswith(prefix):
            return str(label) % via.removeprefix(prefix)
    return via


class AccessLogFilterForm(forms.Form):
    user = forms.CharField(label=_("user (login name)"), required=False, max_length=150)
    case = forms.CharField(label=_("case number"), required=False, max_length=40)
    via = forms.ChoiceField(label=_("through"), choices=ACCESS_VIA, required=False)
    since = forms.DateField(label=_("from"), required=False, widget=_Dated)
    until = forms.DateField(label=_("to"), required=False, widget=_Dated)

"""The filters every KPI report takes (fiscal year, desk, office, counselor, topic, mode), for
the pages, the exports and the API alike: an unknown value is an error naming its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import Desk, User
from casebook.common.choices import ModelChoiceField
from casebook.common.fiscal import current_fiscal_year
from casebook.common.web import OneTimeTokenForm
from casebook.intake.models import BusinessStatus, OutcomeOccasion, SessionMode, Topic
from casebook.reports import policy
from casebook.reports.models import ActivityKind, SurveyScore
from casebook.reports.selectors.filters import ReportFilters
from casebook.satellites.models import Office

FIRST_FISCAL_YEAR = 2000
LAST_FISCAL_YEAR = 2100


class ReportFilterForm(forms.Form):
    fy = forms.IntegerField(
        label=_("fiscal year"), min_value=FIRST_FISCAL_YEAR, max_value=LAST_FISCAL_YEAR
    )
    desk = ModelChoiceField(
        label=_("desk"), queryset=Desk.objects.none(), to_field_name="code", required=False
    )
    office = ModelChoiceField(
        label=_("office"), queryset=Office.objects.none(), to_field_name="code", required=False
    )
    counselor = ModelChoiceField(label=_("counselor"), queryset=User.objects.none(), required=False)
    topic = ModelChoiceField(
        label=_("topic"), queryset=Topic.objects.none(), to_field_name="code", required=False
    )
    mode = forms.ChoiceField(
        label=_("mode"), choices=[("", "---------"), *SessionMode.choices], required=False
    )

    def __init__(self, data, *, user: User) -> None:
        data = data.copy()
        if not data.get("fy"):
            data["fy"] = current_fiscal_year()
        super().__init__(data)
        self.fields["desk"].queryset = Desk.objects.filter(policy.report_desks_q(user))
        self.fields["office"].queryset = Office.objects.all()
        self.fields["counselor"].queryset = (
            User.objects.filter(
                memberships__active=True, memberships__desk__in=self.fields["desk"].queryset
            )
            .distinct()
            .order_by("display_name_kana", "username")
        )
        self.fields["topic"].queryset = Topic.objects.all()

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            fiscal_year=data["fy"],
            desk=data.get("desk"),
            office=data.get("office"),
            counselor=data.get("counselor"),
            topic=data.get("topic"),
            mode=data.get("mode") or "",
        )


class _Dated(forms.DateInput):
    input_type = "date"


class OutcomeForm(OneTimeTokenForm):
    """What a client reported (the case page's "record an outcome"); the rules live in
    `services.outcome_record`."""

    occasion = forms.ChoiceField(label=_("when reported"), choices=OutcomeOccasion.choices)
    reported_on = forms.DateField(label=_("reported on"), widget=_Dated)
    sales_yen = forms.IntegerField(label=_("sales (yen)"), required=False)
    employees = forms.IntegerField(label=_("employees"), required=False)
    operating_profit_yen = forms.IntegerField(label=_("operating profit (yen)"), required=False)
    personnel_costs_yen = forms.IntegerField(label=_("personnel costs (yen)"), required=False)
    depreciation_yen = forms.IntegerField(label=_("depreciation (yen)"), required=False)
    new_customers = forms.IntegerField(label=_("new customers"), required=False)
    patent_filed = forms.BooleanField(label=_("patent filed"), required=False)
    trademark_filed = forms.BooleanField(label=_("trademark filed"), required=False)
    export_started = forms.BooleanField(label=_("export started"), required=False)
    business_status = forms.ChoiceField(
        label=_("business"), choices=[("", "---------"), *BusinessStatus.choices], required=False
    )
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class OutcomeReportForm(ReportFilterForm):
    page = forms.IntegerField(min_value=1, required=False)


class ActivityForm(OneTimeTokenForm):
    """An activity's own fields (docs/reports.md, "Activities"); the rules live in
    `services.activity_create` / `services.activity_update`. `version` is the one the edit
    screen showed (empty when recording a new one)."""

    kind = forms.ChoiceField(label=_("kind"), choices=ActivityKind.choices)
    desk = ModelChoiceField(label=_("desk"), queryset=Desk.objects.none())
    title = forms.CharField(label=_("title"), max_length=200)
    held_on = forms.DateField(label=_("date"), widget=_Dated)
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    online = forms.BooleanField(label=_("online"), required=False)
    organisers = forms.CharField(label=_("organisers"), max_length=200, required=False)
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desk"].queryset = Desk.objects.filter(policy.activity_desks_q(user))


class ParticipantForm(OneTimeTokenForm):
    """A client of the registry added to an activity (its search is the intake's); the rules
    live in `services.activity_participant_add`. `version` is the activity's, as shown."""

    client = forms.IntegerField(widget=forms.HiddenInput, error_messages={
        "required": _("choose a client from the search first"),
    })  # fmt: skip
    deals = forms.IntegerField(label=_("deals"), min_value=0, initial=0)
    note = forms.CharField(label=_("note"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ParticipantRemoveForm(forms.Form):
    """Take a participant off, with the activity's version the screen showed."""

    participant = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class SurveyForm(forms.Form):
    """The satisfaction survey's questions (the public page; always Japanese)."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the consultation?"),
        choices=SurveyScore.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("choose one of the five answers")},
    )
    acted_on_advice = forms.TypedChoiceField(
        label=_("Have you acted on the advice?"),
        choices=[("yes", _("yes")), ("no", _("no"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    got_results = forms.TypedChoiceField(
        label=_("Has the consultation brought results?"),
        choices=[("yes", _("yes")), ("no", _("no"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

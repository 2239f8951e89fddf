"""Forms parse input only; every rule is checked by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.common.choices import ModelChoiceField
from casebook.experts.models import ConflictRelation, DispatchProgram, Expert, Qualification
from casebook.intake.models import Topic


class RosterFilterForm(forms.Form):
    q = forms.CharField(label=_("name"), required=False)
    qualification = forms.ChoiceField(
        label=_("qualification"),
        required=False,
        choices=[("", "—"), *Qualification.choices],
    )
    specialty = forms.ChoiceField(label=_("specialty"), required=False)
    area = forms.CharField(label=_("service area"), required=False)
    include_inactive = forms.BooleanField(label=_("include inactive"), required=False)

    def __init__(self, *args: Any, specialties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialty"].choices = [("", "—"), *specialties]


class DispatchRequestForm(forms.Form):
    program = ModelChoiceField(label=_("program"), queryset=DispatchProgram.objects.none())
    sub_quota = forms.ChoiceField(label=_("sub-quota"), required=False)
    expert = ModelChoiceField(label=_("expert"), queryset=Expert.objects.none())
    requested_days = forms.CharField(
        label=_("requested days"), help_text=_("in half-day steps: 0.5, 1.0, 1.5 …")
    )
    purpose = forms.CharField(label=_("purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    competitors = forms.CharField(
        label=_("client's competitors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One company (name or corporate number) per line; checked for conflicts."),
    )

    def __init__(self, *args: Any, programs: Any, experts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["expert"].queryset = experts
        choices = [("", "—")]
        for program in programs:
            choices += [(str(s.pk), f"{program.name} / {s.name}") for s in program.sub_quotas.all()]
        self.fields["sub_quota"].choices = choices


class StepForm(forms.Form):
    """A step on the dispatch page: the version the page read (a step taken meanwhile by
    someone else answers 409), and the service's own arguments as its fields."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ApproveForm(StepForm):
    days = forms.CharField(label=_("approved days"), required=False)


class ReasonForm(StepForm):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(StepForm):
    final_report = forms.CharField(
        label=_("final report"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FinalReportForm(StepForm):
    text = forms.CharField(label=_("final report"), widget=forms.Textarea(attrs={"rows": 4}))


# The form of each step on the dispatch page (its prefix is the step's name); its fields are
# the arguments of the step's service.
STEP_FORMS: dict[str, type[StepForm]] = {
    "submit": StepForm,
    "approve": ApproveForm,
    "reject": ReasonForm,
    "override_conflict": ReasonForm,
    "complete": CompleteForm,
    "final_report": FinalReportForm,
    "settle": StepForm,
    "cancel": ReasonForm,
}


class VisitForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    day_fraction = forms.ChoiceField(
        label=_("day"), choices=[("1.0", _("full day")), ("0.5", _("half day"))]
    )
    hours = forms.CharField(label=_("hours"), required=False)
    place = forms.CharField(label=_("place"), required=False)


class UnscheduleForm(forms.Form):
    reason = forms.CharField(label=_("reason"), required=False)


class VisitReportForm(forms.Form):
    report = forms.CharField(label=_("what was done"), widget=forms.Textarea(attrs={"rows": 5}))
    advice = forms.CharField(
        label=_("advice"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    hours = forms.CharField(label=_("hours"), required=False)
    client_confirmed_by = forms.CharField(label=_("confirmed by (client)"), required=False)


class ConflictForm(forms.Form):
    company_name = forms.CharField(label=_("company name"))
    corporate_number = forms.CharField(label=_("corporate number"), required=False)
    relation = forms.ChoiceField(label=_("relation"), choices=ConflictRelation.choices)
    note = forms.CharField(label=_("note"), required=False)


def specialty_choices() -> list[tuple[str, str]]:
    from casebook.experts.models import TechnicalField

    return [*Topic.objects.values_list("code", "name"), *TechnicalField.choices]

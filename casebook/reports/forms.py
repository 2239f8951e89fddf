"""The filters every KPI report takes (fiscal year, desk, office, counselor, topic, mode), for
the pages, the exports and the API alike: an unknown value is an error naming its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import Desk, User
from casebook.common.fiscal import current_fiscal_year
from casebook.intake.models import SessionMode, Topic
from casebook.reports import policy
from casebook.reports.selectors.filters import ReportFilters
from casebook.satellites.models import Office

FIRST_FISCAL_YEAR = 2000
LAST_FISCAL_YEAR = 2100


class ReportFilterForm(forms.Form):
    fy = forms.IntegerField(
        label=_("fiscal year"), min_value=FIRST_FISCAL_YEAR, max_value=LAST_FISCAL_YEAR
    )
    desk = forms.ModelChoiceField(
        label=_("desk"), queryset=Desk.objects.none(), to_field_name="code", required=False
    )
    office = forms.ModelChoiceField(
        label=_("office"), queryset=Office.objects.none(), to_field_name="code", required=False
    )
    counselor = forms.ModelChoiceField(
        label=_("counselor"), queryset=User.objects.none(), required=False
    )
    topic = forms.ModelChoiceField(
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

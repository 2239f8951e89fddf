"""Forms of the referral screens. They parse input; every rule is checked by the services and
every choice offered comes from the view (the policy's offers, the desk's case workers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import Desk, User
from casebook.common.choices import ModelChoiceField
from casebook.intake.forms import DateInput, UserChoiceField
from casebook.referrals.models import InformsReferrer, Partner, ReferralKind


class PartnerChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Partner) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class HandoffChecklistForm(forms.Form):
    """The hand-off checklist's fields, on the referral form and on the checklist's own."""

    consent_obtained = forms.BooleanField(
        label=_("the client consented to sharing information"), required=False
    )
    consent_obtained_on = forms.DateField(
        label=_("consent obtained on"), required=False, widget=DateInput
    )
    documents_passed = forms.CharField(
        label=_("documents passed"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    original_referrer = forms.CharField(
        label=_("original referrer (chamber, bank …)"), max_length=200, required=False
    )
    informs_original_referrer = forms.ChoiceField(
        label=_("who informs the original referrer"),
        choices=[("", "—"), *InformsReferrer.choices],
        required=False,
    )


class ReferralForm(HandoffChecklistForm):
    kind = forms.ChoiceField(
        label=_("referral to"), choices=ReferralKind.choices, widget=forms.RadioSelect
    )
    to_desk = ModelChoiceField(
        label=_("receiving desk"), queryset=Desk.objects.none(), required=False
    )
    to_partner = PartnerChoiceField(
        label=_("partner organisation"), queryset=Partner.objects.none(), required=False
    )
    handoff_note = forms.CharField(
        label=_("hand-off note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the receiver needs to know: the request, the client's situation."),
    )
    share_full_file = forms.BooleanField(
        label=_("share the full case file with the receiving desk"), required=False
    )
    title = forms.CharField(
        label=_("title of the receiving case"),
        max_length=200,
        required=False,
        help_text=_("Empty: the referring case's title (or a neutral one for confidential cases)."),
    )
    due_on = forms.DateField(
        label=_("answer or follow-up due on"),
        required=False,
        widget=DateInput,
        help_text=_("Empty: counted in business days from today."),
    )
    attach_to_existing = forms.BooleanField(
        label=_("attach to the desk's open case instead of opening a new one"), required=False
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    # What the form hands to `services.referral_create` (besides the target it names).
    SERVICE_FIELDS = (
        "kind",
        "handoff_note",
        "share_full_file",
        "attach_to_existing",
        "due_on",
        "title",
        *HandoffChecklistForm.base_fields,
    )

    def __init__(
        self,
        *args: Any,
        desks: QuerySet[Desk],
        partners: QuerySet[Partner],
        shareable: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_desk"].queryset = desks
        self.fields["to_partner"].queryset = partners
        if not shareable:
            self.fields["share_full_file"].disabled = True
            self.fields["share_full_file"].help_text = _(
                "The file of a confidential or restricted case is never shared by a referral."
            )

    def service_input(self) -> dict[str, Any]:
        """The cleaned input as `services.referral_create` takes it: the desk of an internal
        referral, the partner of an external one."""
        data = self.cleaned_data
        internal = data["kind"] == ReferralKind.INTERNAL
        return {
            **{name: data[name] for name in self.SERVICE_FIELDS},
            "to_desk": data["to_desk"] if internal else None,
            "to_partner": None if internal else data["to_partner"],
        }


class AcceptForm(forms.Form):
    lead_counselor = UserChoiceField(
        label=_("lead counselor (optional)"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_counselor"].queryset = staff


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for declining"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AcknowledgeForm(forms.Form):
    partner_contact = forms.CharField(
        label=_("partner's contact person"), max_length=100, required=False
    )
    due_on = forms.DateField(label=_("outcome due on"), required=False, widget=DateInput)


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=_("outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ChecklistForm(HandoffChecklistForm):
    original_referrer_informed = forms.BooleanField(
        label=_("the original referrer has been informed"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReportFilterForm(forms.Form):
    fy = forms.IntegerField(label=_("fiscal year"), required=False, min_value=2000, max_value=2100)

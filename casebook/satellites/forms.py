"""The public booking form and the staff forms of the satellite screens (no rules here: the
services check them; these only parse)."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casebook.satellites.models import Slot

STARTED_SALT = "casebook.satellites.form-started"


def form_started_token() -> str:
    """When the form was shown, signed, so that a bot cannot claim it took its time."""
    return signing.dumps(time.time(), salt=STARTED_SALT)


class SlotChoiceField(forms.ModelChoiceField):
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

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import SecurityEventKind


class _Dated(forms.DateInput):
    input_type = "date"


class SecurityEventFilterForm(forms.Form):
    user = forms.CharField(label=_("user name"), required=False, max_length=150)
    kind = forms.ChoiceField(
        label=_("event"),
        choices=[("", "—"), *SecurityEventKind.choices],
        required=False,
    )
    since = forms.DateField(label=_("from"), required=False, widget=_Dated)
    until = forms.DateField(label=_("to"), required=False, widget=_Dated)

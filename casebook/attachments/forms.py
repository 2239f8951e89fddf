from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.common.choices import ModelChoiceField
from casebook.common.web import OneTimeTokenForm


class AttachmentForm(OneTimeTokenForm):
    file = forms.FileField(label=_("file"), allow_empty_file=False)
    session = ModelChoiceField(label=_("session (optional)"), queryset=None, required=False)

    def __init__(self, *args: Any, sessions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions


class HostAttachmentForm(OneTimeTokenForm):
    """A file for another app's object (a visit report): the object is in the URL."""

    file = forms.FileField(label=_("file"), allow_empty_file=False)

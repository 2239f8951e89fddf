"""The e-mail preferences form: one choice per kind of notification, and the digest switch."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.notifications import kinds
from casebook.notifications.models import Delivery, NotificationSettings
from casebook.notifications.services.preferences import DEFAULT_DELIVERY

FIELD_PREFIX = "kind_"


class PreferencesForm(forms.Form):
    digest_enabled = forms.BooleanField(
        label=_("Send me the daily digest"),
        required=False,
        help_text=_("One e-mail each business day morning with what you have not read yet."),
    )

    def __init__(self, *args: Any, settings: NotificationSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["digest_enabled"].initial = settings.digest_enabled
        chosen = settings.deliveries or {}
        self.kind_rows: list[tuple[str, list[str]]] = []
        for group, label in kinds.GROUP_LABELS.items():
            names = []
            for kind in kinds.all_kinds():
                if kind.group != group:
                    continue
                name = FIELD_PREFIX + kind.code
                self.fields[name] = forms.ChoiceField(
                    label=kind.label,
                    choices=Delivery.choices,
                    initial=chosen.get(kind.code, DEFAULT_DELIVERY),
                    widget=forms.RadioSelect,
                )
                names.append(name)
            self.kind_rows.append((str(label), names))

    def kind_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(label, [self[name] for name in names]) for label, names in self.kind_rows]

    def deliveries(self) -> dict[str, str]:
        return {
            name.removeprefix(FIELD_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(FIELD_PREFIX)
        }

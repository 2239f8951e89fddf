from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "casebook.intake"
    label = "intake"
    verbose_name = _("Clients and cases")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.intake import history, personal_data, reminders

        registry.register_from(reminders, personal_data, history)

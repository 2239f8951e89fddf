from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "casebook.experts"
    verbose_name = _("Expert dispatch")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.experts import extensions, reminders, reports

        registry.register_from(extensions, reminders, reports)

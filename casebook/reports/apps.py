from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "casebook.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.reports import extensions, reminders

        registry.register_from(extensions, reminders)

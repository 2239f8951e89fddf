from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatellitesConfig(AppConfig):
    name = "casebook.satellites"
    verbose_name = _("Offices and satellites")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.satellites import extensions, reminders, reports

        registry.register_from(extensions, reminders, reports)

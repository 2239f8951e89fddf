from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExitsConfig(AppConfig):
    name = "casebook.exits"
    verbose_name = _("Business-exit track")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.exits import extensions, reminders, reports

        registry.register_from(extensions, reminders, reports)

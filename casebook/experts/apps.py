from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "casebook.experts"
    label = "experts"
    verbose_name = _("Expert dispatch")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.experts import reminders
        from casebook.experts.selectors import open_dispatch_blocker

        registry.add_close_blocker(open_dispatch_blocker)
        reminders.register(registry)

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "casebook.referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.referrals import extensions, reminders

        registry.register_from(extensions, reminders)

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "casebook.accounts"
    label = "accounts"
    verbose_name = _("Staff and desks")

    def ready(self) -> None:
        from casebook.accounts import signals

        signals.connect()

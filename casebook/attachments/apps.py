from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "casebook.attachments"
    label = "attachments"
    verbose_name = _("Attachments")

    def ready(self) -> None:
        from casebook.attachments import extensions
        from casebook.common.extensions import registry

        registry.register_from(extensions)

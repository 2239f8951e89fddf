from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "casebook.notifications"
    label = "notifications"
    verbose_name = _("Notifications and scheduled jobs")

    def ready(self) -> None:
        from casebook.common.extensions import registry
        from casebook.notifications.services import notifications_record_case_event

        registry.add_case_event_listener(notifications_record_case_event)

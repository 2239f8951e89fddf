from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet

from casebook.attachments import policy
from casebook.attachments.models import Attachment
from casebook.common.admin import HistoryAdmin, PolicyScopedMixin


@admin.register(Attachment)
class AttachmentAdmin(PolicyScopedMixin, HistoryAdmin):
    list_display = ["name", "case", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["name", "case__number"]
    raw_id_fields = ["case", "session", "visit", "uploaded_by"]
    readonly_fields = ["content_type", "size", "sha256", "stored_name"]

    @staticmethod
    def scope(user: Any, queryset: QuerySet) -> QuerySet:
        return queryset.filter(policy.visible_attachments_q(user))

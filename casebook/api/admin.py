from __future__ import annotations

from django.contrib import admin

from casebook.api.models import IdempotencyRecord
from casebook.common.admin import ModelAdmin


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ModelAdmin):
    list_display = ("key", "user", "status_code", "created_at")
    search_fields = ("key",)
    readonly_fields = (
        "user",
        "key",
        "fingerprint",
        "status_code",
        "response_body",
        "location",
        "created_at",
    )

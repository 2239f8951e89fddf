from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from casebook.satellites.models import Office


@admin.register(Office)
class OfficeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind", "municipality", "active_from", "active_until")
    list_filter = ("kind",)
    search_fields = ("name", "name_kana", "municipality")

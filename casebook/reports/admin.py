from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from casebook.reports.models import Activity, ActivityParticipant, PlanTarget


@admin.register(PlanTarget)
class PlanTargetAdmin(SimpleHistoryAdmin):
    list_display = ["fiscal_year", "metric", "target", "source"]
    list_filter = ["fiscal_year"]
    search_fields = ["metric", "source"]


class ParticipantInline(admin.TabularInline):
    model = ActivityParticipant
    extra = 0
    raw_id_fields = ["client", "follow_up_case"]


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ["held_on", "kind", "title", "desk", "online"]
    list_filter = ["kind", "desk", "online"]
    search_fields = ["title", "place", "organisers"]
    date_hierarchy = "held_on"
    raw_id_fields = ["created_by"]
    inlines = [ParticipantInline]

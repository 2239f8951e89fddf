from __future__ import annotations

from django.contrib import admin

from casebook.common.admin import HistoryAdmin, ModelAdmin, TabularInline
from casebook.exits.models import ExitPlan, ExitTrackDecision, Milestone, MilestoneTemplate


@admin.register(MilestoneTemplate)
class MilestoneTemplateAdmin(ModelAdmin):
    """The templates are data: an administrator adds, renames, reorders or retires steps
    (a plan already made keeps its milestones)."""

    list_display = ["path", "order", "code", "name", "due_after_days", "statute", "active"]
    list_filter = ["path", "active"]
    list_editable = ["order", "name", "due_after_days", "active"]
    ordering = ["path", "order"]


class MilestoneInline(TabularInline):
    model = Milestone
    extra = 0
    fields = ["order", "code", "name", "owner", "due_on", "completed_on", "legal_deadline"]
    readonly_fields = ["legal_deadline"]
    raw_id_fields = ["owner"]


@admin.register(ExitPlan)
class ExitPlanAdmin(HistoryAdmin):
    list_display = ["case", "path", "stage", "owner", "outcome", "on_track", "deadline_breaches"]
    list_filter = ["path", "stage", "on_track", "outcome"]
    raw_id_fields = ["case", "owner"]
    inlines = [MilestoneInline]


@admin.register(ExitTrackDecision)
class ExitTrackDecisionAdmin(ModelAdmin):
    list_display = ["case", "on_track", "path", "by", "at"]
    raw_id_fields = ["case", "by"]

    def has_change_permission(self, request, obj=None) -> bool:  # a decision is a record
        return False

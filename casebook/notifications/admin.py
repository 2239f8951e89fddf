"""Read-only admin of the job record and the reminder occasions (the inbox is personal and
stays out of the admin)."""

from __future__ import annotations

from django.contrib import admin

from casebook.common.admin import ModelAdmin, ReadOnlyMixin
from casebook.notifications.models import JobRun, JobState, ReminderOccasion


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ["job", "slot", "started_at", "finished_at", "status", "sent", "errors"]
    list_filter = ["job", "status"]
    date_hierarchy = "started_at"
    show_full_result_count = False


@admin.register(JobState)
class JobStateAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ["name", "last_slot", "lease_owner", "lease_until", "retry_after"]


@admin.register(ReminderOccasion)
class ReminderOccasionAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ["key", "kind", "due_on", "recipients", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key"]
    show_full_result_count = False

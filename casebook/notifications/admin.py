"""Read-only admin of the job record and the reminder occasions (the inbox is personal and
stays out of the admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from casebook.notifications.models import JobRun, JobState, ReminderOccasion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "slot", "started_at", "finished_at", "status", "sent", "errors"]
    list_filter = ["job", "status"]
    date_hierarchy = "started_at"
    show_full_result_count = False


@admin.register(JobState)
class JobStateAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_slot", "lease_owner", "lease_until", "retry_after"]


@admin.register(ReminderOccasion)
class ReminderOccasionAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "due_on", "recipients", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key"]
    show_full_result_count = False

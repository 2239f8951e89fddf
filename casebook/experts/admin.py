"""Admin of the roster and the programs. Dispatches are read-only here: their state only
changes through the services (quota, conflicts and the case's state depend on it)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from casebook.common.admin import HistoryAdmin, PolicyScopedMixin, ReadOnlyMixin, inline
from casebook.experts import policy
from casebook.experts.models import (
    ConflictDeclaration,
    Dispatch,
    DispatchProgram,
    DispatchVisit,
    Expert,
    SubQuota,
)


@admin.register(Expert)
class ExpertAdmin(HistoryAdmin):
    list_display = ("name", "name_kana", "day_rate_yen", "max_days_per_fy", "active", "user")
    list_filter = ("active",)
    search_fields = ("name", "name_kana", "affiliation", "email")
    readonly_fields = ("version",)
    raw_id_fields = ("user",)
    inlines = [inline(ConflictDeclaration, exclude=("company_name_search",))]


@admin.register(DispatchProgram)
class DispatchProgramAdmin(HistoryAdmin):
    list_display = ("fiscal_year", "code", "name", "desk", "quota_days", "max_days_per_client")
    list_filter = ("fiscal_year", "desk", "active")
    inlines = [inline(SubQuota)]


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyMixin, PolicyScopedMixin, HistoryAdmin):
    scope = staticmethod(policy.dispatches_visible_to)
    list_display = ("id", "case", "program", "expert", "status", "approved_days", "used_days")
    list_filter = ("status", "program__fiscal_year", "program")
    search_fields = ("case__number", "expert__name", "case__client__name")
    inlines = [inline(DispatchVisit, read_only=True)]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dispatch]:
        return super().get_queryset(request).select_related("case", "program", "expert")

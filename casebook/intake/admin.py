"""Admin for clients and cases. Cases are filtered by the visibility policy like every screen;
only a superuser (the system administrator) sees all of them here."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst

from casebook.accounts.policy import reads_audit_trail
from casebook.common.admin import (
    HistoryAdmin,
    ModelAdmin,
    PolicyScopedMixin,
    ReadOnlyMixin,
    TabularInline,
    inline,
)
from casebook.intake import policy, services
from casebook.intake.models import (
    LIFECYCLE_FIELDS,
    VALUE_ADDED_PARTS,
    AccessLog,
    Assignment,
    Case,
    CaseSequence,
    CaseTransition,
    Client,
    ClientContact,
    ClientOutcome,
    ConsultationSession,
    IpDetails,
    SessionAmendment,
    SubcontractDetails,
    Topic,
)


@admin.register(Client)
class ClientAdmin(HistoryAdmin):
    list_display = ("name", "name_kana", "kind", "corporate_number", "size_class", "municipality")
    list_filter = ("kind", "size_class", "industry")
    search_fields = ("name", "name_kana", "corporate_number", "phone")
    readonly_fields = ("size_class", "version")
    inlines = [inline(ClientContact)]


class AssignmentInline(TabularInline):
    model = Assignment
    extra = 0
    fk_name = "case"
    readonly_fields = ("counselor", "assigned_by", "assigned_at", "ended_at", "reason")
    can_delete = False


class TransitionInline(TabularInline):
    model = CaseTransition
    extra = 0
    readonly_fields = ("action", "from_status", "to_status", "by", "at", "reason", "closure_reason")
    can_delete = False


def case_scope(case_path: str) -> Any:
    """The admin scope of a model reached from a case by `case_path`: the visible cases'."""

    def scope(user: Any, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**{f"{case_path}__in": policy.cases_visible_to(user)})

    return staticmethod(scope)


class PolicyFilteredAdmin(PolicyScopedMixin, HistoryAdmin):
    # The many-to-many sets the model's history rows record (casebook/common/history.py).
    history_sets: tuple[str, ...] = ()

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Any, foreign_keys_are_objs: bool = True
    ) -> None:
        """The history page's changes, the recorded sets included (newest row first)."""
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        for newer, older in pairwise(list(historical_records)):
            changes = getattr(newer, "history_delta_changes", None)
            if changes is None:
                continue
            for name in self.history_sets:
                before, after = sorted(getattr(older, name)), sorted(getattr(newer, name))
                if before != after:
                    changes.append(
                        {
                            "field": capfirst(self.model._meta.get_field(name).verbose_name),
                            "old": ", ".join(map(str, before)) or "—",
                            "new": ", ".join(map(str, after)) or "—",
                        }
                    )


@admin.register(Case)
class CaseAdmin(PolicyFilteredAdmin):
    scope = case_scope("pk")
    history_sets = ("topics", "co_counselors")
    list_display = ("number", "title", "desk", "status", "confidentiality", "lead_counselor")
    list_filter = ("desk", "status", "confidentiality", "priority", "intake_channel")
    search_fields = ("number", "title", "client__name", "client__name_kana")
    # Status moves only through the transitions of the services, never by a free edit.
    readonly_fields = (
        "number",
        "status",
        "version",
        *LIFECYCLE_FIELDS,
    )
    raw_id_fields = ("client", "lead_counselor")
    inlines = [
        inline(SubcontractDetails, stacked=True),
        inline(IpDetails, stacked=True),
        AssignmentInline,
        TransitionInline,
    ]

    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            # The change page is one transaction and the save locked the case's row.
            services.case_moved(case=obj, changed_fields=form.changed_data)


@admin.register(ConsultationSession)
class SessionAdmin(PolicyFilteredAdmin):
    scope = case_scope("case")
    history_sets = ("counselors", "topics")
    list_display = ("case", "started_at", "duration_minutes", "mode")
    list_filter = ("mode",)
    raw_id_fields = ("case",)
    readonly_fields = ("version",)

    def save_model(
        self, request: HttpRequest, obj: ConsultationSession, form: Any, change: bool
    ) -> None:
        obj.follow_case()
        # A session moved to another case: both cases keep their latest session's follow-up.
        stored = ConsultationSession.objects.filter(pk=obj.pk).values_list("case_id", flat=True)
        case_ids = {obj.case_id, *(stored if change else ())}
        super().save_model(request, obj, form, change)
        services.cases_follow_up_refresh(case_ids=case_ids)

    def delete_model(self, request: HttpRequest, obj: ConsultationSession) -> None:
        super().delete_model(request, obj)
        services.cases_follow_up_refresh(case_ids=[obj.case_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        case_ids = set(queryset.values_list("case_id", flat=True))
        super().delete_queryset(request, queryset)
        services.cases_follow_up_refresh(case_ids=case_ids)


@admin.register(Topic)
class TopicAdmin(ModelAdmin):
    list_display = ("code", "name", "sort_order")


def _outcome_scope(user: Any, queryset: QuerySet) -> QuerySet:
    """An outcome tied to a case follows the case; one without a case follows its client."""
    return queryset.filter(
        Q(case__in=policy.cases_visible_to(user))
        | Q(case__isnull=True, client__cases__in=policy.cases_visible_to(user))
    ).distinct()


@admin.register(ClientOutcome)
class ClientOutcomeAdmin(PolicyScopedMixin, HistoryAdmin):
    scope = staticmethod(_outcome_scope)
    list_display = ("client", "reported_on", "sales_yen", "employees", "value_added_yen")
    raw_id_fields = ("client", "case")
    # Value added is derived from its parts (docs/reports.md, "Outcomes"), never typed.
    readonly_fields = ("value_added_yen", "recorded_by")

    def save_model(self, request: HttpRequest, obj: ClientOutcome, form: Any, change: bool) -> None:
        parts = [getattr(obj, name) for name in VALUE_ADDED_PARTS]
        if all(part is not None for part in parts):
            obj.value_added_yen = sum(parts)
        elif any(part is not None for part in parts):
            obj.value_added_yen = None
        super().save_model(request, obj, form, change)


def access_log_scope(user: Any, queryset: QuerySet) -> QuerySet:
    """The audit trail's readers only, and of them the reads of cases they may see."""
    if not reads_audit_trail(user):
        return queryset.none()
    return queryset.filter(case__in=policy.cases_visible_to(user))


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyMixin, PolicyScopedMixin, ModelAdmin):
    scope = staticmethod(access_log_scope)
    list_display = ("at", "user", "case", "via")


@admin.register(SessionAmendment)
class SessionAmendmentAdmin(PolicyScopedMixin, ModelAdmin):
    scope = case_scope("session__case")
    list_display = ("session", "by", "at", "reason")
    readonly_fields = ("session", "by", "at", "reason", "changes")


@admin.register(CaseSequence)
class CaseSequenceAdmin(ReadOnlyMixin, ModelAdmin):
    """Read-only: the counters behind gap-free case numbers are changed only by intakes."""

    list_display = ("desk", "fiscal_year", "last_value")
    list_filter = ("desk", "fiscal_year")

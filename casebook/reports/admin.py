from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from casebook.common.admin import HistoryAdmin, PolicyScopedMixin, ReadOnlyMixin, TabularInline
from casebook.reports import policy
from casebook.reports.models import Activity, ActivityParticipant, PlanTarget, SatisfactionSurvey


@admin.register(PlanTarget)
class PlanTargetAdmin(HistoryAdmin):
    list_display = ["fiscal_year", "metric", "target", "source"]
    list_filter = ["fiscal_year"]
    search_fields = ["metric", "source"]


class ParticipantInline(TabularInline):
    model = ActivityParticipant
    extra = 0
    raw_id_fields = ["client", "follow_up_case"]


@admin.register(Activity)
class ActivityAdmin(HistoryAdmin):
    list_display = ["held_on", "kind", "title", "desk", "online"]
    list_filter = ["kind", "desk", "online"]
    search_fields = ["title", "place", "organisers"]
    date_hierarchy = "held_on"
    raw_id_fields = ["created_by"]
    inlines = [ParticipantInline]


def _survey_scope(user: Any, queryset: QuerySet) -> QuerySet:
    """The surveys of the desks whose figures the login reads (docs/reports.md)."""
    return queryset.filter(policy.surveys_q(user))


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyMixin, PolicyScopedMixin, HistoryAdmin):
    """A record of what was sent and answered: never edited here. The link's token is not
    kept, the case is not linked (a number only), and the clients' comments are shown to
    managers only."""

    scope = staticmethod(_survey_scope)
    list_display = ["sent_at", "desk", "counselor", "consultation_month", "answered_at", "score"]
    list_filter = ["desk", "score"]
    list_select_related = ["desk", "counselor"]
    date_hierarchy = "sent_at"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [
            "desk",
            "counselor",
            "consultation_month",
            "closed_at",
            "sent_at",
            "answered_at",
            "score",
            "acted_on_advice",
            "got_results",
        ]
        if request.user.is_superuser or policy.may_read_survey_comments(request.user):
            fields.append("comment")
        return fields

"""`/api/v1/exit-plans/` (list; POST {case, path, reason} puts the case on the exit track;
detail with milestones; PATCH with If-Match; `take-off`) and `/api/v1/exit-milestones/`
(`complete`, `reopen`, PATCH), on the base viewsets of `casebook.api.viewsets`."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from casebook.accounts.selectors import active_staff_get
from casebook.api.filters import MAX_ID
from casebook.api.references import resolve
from casebook.api.viewsets import ReadViewSet, ServiceUpdateMixin, ServiceViewSet, transition
from casebook.exits import selectors, services
from casebook.exits.models import (
    ExitOutcome,
    ExitPath,
    ExitPlan,
    ExitStage,
    Milestone,
    RiskFlag,
)
from casebook.intake.api.references import CaseReadsLogged, named_case


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class MilestoneSerializer(serializers.ModelSerializer):
    breaks_legal_deadline = serializers.BooleanField(source="breaks_deadline", read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "plan",
            "code",
            "name",
            "owner",
            "due_on",
            "legal_deadline",
            "deadline_rule",
            "breaks_legal_deadline",
            "completed_on",
            "note",
            "version",
        ]
        read_only_fields = fields


class ExitPlanSerializer(serializers.ModelSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = ExitPlan
        fields = [
            "id",
            "case",
            "path",
            *services.PLAN_FIELDS,
            "on_track",
            "deadline_breaches",
            "milestones",
            "version",
        ]
        read_only_fields = fields


class PutOnTrackSerializer(serializers.Serializer):
    case = _id()
    path = serializers.ChoiceField(choices=ExitPath.choices)
    reason = serializers.CharField(allow_blank=True)


class PlanUpdateSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=ExitStage.choices, required=False)
    risk_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=RiskFlag.choices), required=False
    )
    owner = _id(required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=ExitOutcome.choices, required=False, allow_blank=True)
    rechallenge_on = serializers.DateField(required=False, allow_null=True)
    dissolution_resolved_on = serializers.DateField(required=False, allow_null=True)
    dissolved_on = serializers.DateField(required=False, allow_null=True)
    gazette_notice_on = serializers.DateField(required=False, allow_null=True)
    liquidation_report_approved_on = serializers.DateField(required=False, allow_null=True)


class TakeOffSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class MilestoneUpdateSerializer(serializers.Serializer):
    owner = _id(required=False, allow_null=True)
    due_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class MilestoneCompleteSerializer(serializers.Serializer):
    completed_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _owner(data: dict[str, Any]) -> dict[str, Any]:
    if "owner" in data:
        data["owner"] = resolve("owner", active_staff_get, pk=data["owner"])
    return data


class ExitPlanViewSet(CaseReadsLogged, ServiceViewSet):
    """Exit plans (the business-exit track) of the cases the caller may see.

    POST `{case, path, reason}` puts a case on the track (it becomes restricted; its plan and
    milestones are made once); PUT/PATCH change the plan (`If-Match`); `take-off` takes the
    case off the track with a reason. Every read of a restricted case is access-logged.
    """

    model = ExitPlan
    serializer_class = ExitPlanSerializer
    create_serializer_class = PutOnTrackSerializer
    update_serializer_class = PlanUpdateSerializer
    filterset_fields = {"path": ["exact"], "stage": ["exact"], "on_track": ["exact"]}
    ordering_fields = ("id", "started_on")
    ordering = ["-id"]

    def list_for_user(self, user: Any) -> QuerySet[ExitPlan]:
        return selectors.plan_list_for_user(user=user).prefetch_related("milestones")

    get_selector = staticmethod(selectors.plan_get_for_user)

    def create_with_service(self, data: dict[str, Any]) -> Model:
        user = self.request.user
        case = named_case("case", user=user, pk=data["case"])
        return services.exit_track_put_on(
            case=case, by=user, path=data["path"], reason=data["reason"]
        )

    def update_with_service(self, obj: Model, data: dict[str, Any], expected_version: int) -> Model:
        return services.exit_plan_update(
            plan=obj, by=self.request.user, expected_version=expected_version, **_owner(data)
        )

    @transition(TakeOffSerializer, ExitPlanSerializer, url_path="take-off")
    def take_off(self, plan: ExitPlan, data: dict[str, Any], expected_version: int | None):
        """Take the case off the exit track, with a reason (a recorded decision)."""
        return services.exit_track_take_off(
            plan=plan,
            by=self.request.user,
            reason=data["reason"],
            expected_version=expected_version,
        )


class MilestoneViewSet(CaseReadsLogged, ServiceUpdateMixin, ReadViewSet):
    """The milestones of the exit plans the caller may see; `complete` and `reopen` take an
    optional `If-Match`, PUT/PATCH (owner, due date, note) require it."""

    model = Milestone
    serializer_class = MilestoneSerializer
    update_serializer_class = MilestoneUpdateSerializer
    filterset_fields = {"plan": ["exact"]}
    ordering_fields = ("id", "due_on")
    ordering = ["id"]
    list_selector = staticmethod(selectors.milestone_list_for_user)
    get_selector = staticmethod(selectors.milestone_get_for_user)
    case_of = staticmethod(attrgetter("plan.case"))

    def update_with_service(self, obj: Model, data: dict[str, Any], expected_version: int) -> Model:
        return services.milestone_update(
            milestone=obj, by=self.request.user, expected_version=expected_version, **_owner(data)
        )

    @transition(MilestoneCompleteSerializer, MilestoneSerializer)
    def complete(self, milestone: Milestone, data: dict[str, Any], expected_version: int | None):
        """Mark the milestone done (today unless `completed_on` says when)."""
        return services.milestone_complete(
            milestone=milestone,
            by=self.request.user,
            completed_on=data.get("completed_on"),
            note=data.get("note", ""),
            expected_version=expected_version,
        )

    @transition(None, MilestoneSerializer)
    def reopen(self, milestone: Milestone, data: dict[str, Any], expected_version: int | None):
        """Open a milestone marked done by mistake again."""
        return services.milestone_reopen(
            milestone=milestone, by=self.request.user, expected_version=expected_version
        )


def register(router: BaseRouter) -> None:
    router.register("exit-plans", ExitPlanViewSet, basename="exit-plan")
    router.register("exit-milestones", MilestoneViewSet, basename="exit-milestone")

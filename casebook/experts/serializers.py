"""API representations (the field names are part of the API contract) and the input shapes
of the actions.

Serializers only shape data: every rule is checked by the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casebook.experts import policy, rules
from casebook.experts.models import (
    ConflictDeclaration,
    ConflictRelation,
    Dispatch,
    DispatchProgram,
    DispatchVisit,
    Expert,
    SubQuota,
)


def _days(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False, **kwargs
    )


class ExpertSerializer(serializers.ModelSerializer):
    qualifications = serializers.ListField(child=serializers.CharField())
    specialties = serializers.ListField(child=serializers.CharField())
    service_areas = serializers.ListField(child=serializers.CharField())
    max_days_per_fy = _days()

    class Meta:
        model = Expert
        fields = [
            "id",
            "name",
            "name_kana",
            "qualifications",
            "specialties",
            "service_areas",
            "day_rate_yen",
            "max_days_per_fy",
            "active",
            "affiliation",
            "registered_from",
            "registered_until",
            "version",
        ]
        read_only_fields = ["id", "version"]


class ExpertWriteSerializer(ExpertSerializer):
    """Create and update input: the same fields, each optional on PATCH."""

    class Meta(ExpertSerializer.Meta):
        fields = [f for f in ExpertSerializer.Meta.fields if f not in ("id", "version")]
        extra_kwargs = {"registered_from": {"required": False}}


class ConflictSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConflictDeclaration
        fields = ["id", "expert", "corporate_number", "company_name", "relation", "note"]
        read_only_fields = ["id", "expert"]


class ConflictCreateSerializer(serializers.Serializer):
    expert = serializers.IntegerField()
    company_name = serializers.CharField()
    corporate_number = serializers.CharField(required=False, allow_blank=True, default="")
    relation = serializers.ChoiceField(choices=ConflictRelation.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


# The days a quota (a program's, a sub-quota's) has reserved, used and left, counted once per
# object and request (`day_counts(obj)`); each says what it has left. (A comment, not a
# docstring: the API schema would describe both serializers with it.)
class _QuotaDays(serializers.Serializer):
    reserved_days = serializers.SerializerMethodField()
    used_days = serializers.SerializerMethodField()
    remaining_days = serializers.SerializerMethodField()
    day_counts: Callable[[Any], rules.DayCounts]

    def _counts(self, obj: Any) -> rules.DayCounts:
        cache = self.context.setdefault("_quota_day_counts", {})
        key = (type(obj), obj.pk)
        if key not in cache:
            cache[key] = self.day_counts(obj)
        return cache[key]

    def get_reserved_days(self, obj: Any) -> float:
        return float(self._counts(obj).reserved)

    def get_used_days(self, obj: Any) -> float:
        return float(self._counts(obj).used)


class SubQuotaSerializer(_QuotaDays, serializers.ModelSerializer):
    quota_days = _days()
    day_counts = staticmethod(rules.sub_quota_counts)

    class Meta:
        model = SubQuota
        fields = [
            "code",
            "name",
            "quota_days",
            "free",
            "reserved_days",
            "used_days",
            "remaining_days",
        ]

    def get_remaining_days(self, obj: SubQuota) -> float:
        return float(obj.quota_days - self._counts(obj).taken)


class ProgramSerializer(_QuotaDays, serializers.ModelSerializer):
    desk = serializers.SlugRelatedField(slug_field="code", read_only=True)
    quota_days = _days(allow_null=True)
    max_days_per_client = _days(allow_null=True)
    copay_ratio = serializers.DecimalField(
        max_digits=4, decimal_places=3, coerce_to_string=False, allow_null=True
    )
    sub_quotas = SubQuotaSerializer(many=True, read_only=True)
    day_counts = staticmethod(rules.program_counts)

    class Meta:
        model = DispatchProgram
        fields = [
            "id",
            "code",
            "name",
            "desk",
            "fiscal_year",
            "quota_days",
            "sub_quotas",
            "max_days_per_client",
            "copay_ratio",
            "copay_yen_per_day",
            "reserved_days",
            "used_days",
            "remaining_days",
            "funding_source",
            "requires_sme",
            "requires_in_prefecture",
            "requires_innovation_plan",
            "active",
        ]

    def get_remaining_days(self, obj: DispatchProgram) -> float | None:
        left = rules.remaining(obj.quota_days, self._counts(obj).taken)
        return None if left is None else float(left)


class DispatchSerializer(serializers.ModelSerializer):
    sub_quota = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requested_days = _days()
    approved_days = _days(allow_null=True)
    used_days = _days(allow_null=True)
    competitors = serializers.SerializerMethodField()

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "case",
            "program",
            "sub_quota",
            "expert",
            "purpose",
            "requested_days",
            "approved_days",
            "used_days",
            "status",
            "copay_yen",
            "version",
            "competitors",
            "day_rate_yen",
            "requested_by",
            "submitted_at",
            "approved_at",
            "completed_at",
            "cancelled_at",
            "decision_reason",
            "final_report",
            "conflict_override_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(child=serializers.CharField(), allow_null=True),
    )
    def get_competitors(self, obj: Dispatch) -> list[str] | None:
        """The client's declared competitors, or null to a reader the policy does not show
        them to (`policy.can_see_competitors`)."""
        if not policy.can_see_competitors(self.context["request"].user, obj):
            return None
        return list(obj.competitors or [])


class DispatchCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    program = serializers.IntegerField()
    sub_quota = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    expert = serializers.IntegerField()
    purpose = serializers.CharField()
    # Parsed by the service, which names the half-day rule in its error.
    requested_days = serializers.CharField()
    competitors = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    submit = serializers.BooleanField(required=False, default=False)


class DispatchUpdateSerializer(serializers.Serializer):
    purpose = serializers.CharField(required=False)
    requested_days = serializers.CharField(required=False)
    expert = serializers.IntegerField(required=False)
    sub_quota = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    competitors = serializers.ListField(child=serializers.CharField(), required=False)


class EmptySerializer(serializers.Serializer):
    pass


class ApproveSerializer(serializers.Serializer):
    days = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class CompleteSerializer(serializers.Serializer):
    final_report = serializers.CharField(required=False, allow_blank=True, default="")


class FinalReportSerializer(serializers.Serializer):
    final_report = serializers.CharField(allow_blank=True)


class VisitSerializer(serializers.ModelSerializer):
    day_fraction = _days()
    hours = _days(allow_null=True)

    class Meta:
        model = DispatchVisit
        fields = [
            "id",
            "date",
            "day_fraction",
            "hours",
            "place",
            "report",
            "advice",
            "client_confirmed_by",
            "report_filed_at",
            "version",
        ]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    date = serializers.DateField()
    day_fraction = serializers.CharField()
    hours = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    place = serializers.CharField(required=False, allow_blank=True, default="")


class VisitReportSerializer(serializers.Serializer):
    report = serializers.CharField(allow_blank=True)
    advice = serializers.CharField(required=False, allow_blank=True, default="")
    client_confirmed_by = serializers.CharField(required=False, allow_blank=True, default="")
    hours = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    place = serializers.CharField(required=False, allow_null=True)

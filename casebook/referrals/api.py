"""`/api/v1/referrals/` (with `accept`, `decline`, `acknowledge`, `report-outcome`) and
`/api/v1/partners/`, on the base viewsets of `casebook.api.viewsets`: reads through the
selectors, one service per write, every answer rendered from the object the service returned.
What a referral shows of its cases is the referrals policy's."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from casebook.accounts.selectors import active_desk_get, active_staff_get
from casebook.api.filters import MAX_ID, IdFilter, day_range
from casebook.api.references import resolve
from casebook.api.viewsets import PlainServiceWrites, ReadViewSet, ServiceViewSet, transition
from casebook.intake import services as case_services
from casebook.intake.api.references import named_case
from casebook.referrals import policy, selectors, services
from casebook.referrals.models import (
    OPEN_STATUSES,
    PARTNER_FIELDS,
    InformsReferrer,
    Partner,
    PartnerKind,
    Referral,
    ReferralKind,
    ReferralStatus,
)


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- serializers -----------------------------------------------------------------------------


class PartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", *PARTNER_FIELDS]
        read_only_fields = fields


class ChecklistSerializer(serializers.Serializer):
    consent_obtained = serializers.BooleanField(required=False)
    consent_obtained_on = serializers.DateField(required=False, allow_null=True)
    documents_passed = serializers.CharField(required=False, allow_blank=True)
    original_referrer = serializers.CharField(required=False, allow_blank=True, max_length=200)
    informs_original_referrer = serializers.ChoiceField(
        choices=InformsReferrer.choices, required=False, allow_blank=True
    )
    original_referrer_informed = serializers.BooleanField(required=False)


class HandoffSerializer(serializers.Serializer):
    """The referring case as the caller may see it (the full file only when shared)."""

    full_file = serializers.BooleanField()
    number = serializers.CharField()
    desk = serializers.CharField()
    title = serializers.CharField()
    topics = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    lead_counselor = serializers.CharField()
    withheld_reason = serializers.CharField()


class ReferralSerializer(serializers.ModelSerializer):
    to_desk = serializers.SlugRelatedField(slug_field="code", read_only=True)
    checklist = serializers.SerializerMethodField()
    handoff = serializers.SerializerMethodField()
    existing_case = serializers.SerializerMethodField(
        help_text="The receiving desk's open case for the client, when the caller may see it."
    )
    receiving_desk_had_open_case = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "kind",
            "from_case",
            "to_desk",
            "to_partner",
            "created_case",
            "status",
            "handoff_note",
            "share_full_file",
            "due_on",
            "overdue",
            "attached_to_existing",
            "receiving_desk_had_open_case",
            "existing_case",
            "loop_of",
            "referred_by",
            "referred_at",
            "responded_by",
            "responded_at",
            "decline_reason",
            "acknowledged_at",
            "partner_contact",
            "outcome",
            "outcome_reported_at",
            "checklist",
            "handoff",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    def _user(self) -> Any:
        return self.context["request"].user

    @extend_schema_field(ChecklistSerializer)
    def get_checklist(self, referral: Referral) -> dict[str, Any]:
        return {
            **referral.checklist_values(),
            "original_referrer_informed_at": referral.original_referrer_informed_at,
            "required": referral.checklist_required,
        }

    @extend_schema_field(HandoffSerializer)
    def get_handoff(self, referral: Referral) -> dict[str, Any]:
        return HandoffSerializer(policy.handoff_view(self._user(), referral)).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_existing_case(self, referral: Referral) -> int | None:
        case = policy.existing_case_shown(self._user(), referral)
        return case.pk if case else None

    @extend_schema_field(serializers.BooleanField())
    def get_receiving_desk_had_open_case(self, referral: Referral) -> bool:
        return referral.existing_case_id is not None


class ReferralCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReferralKind.choices)
    from_case = _id()
    to_desk = serializers.CharField(required=False, allow_null=True, max_length=32)
    to_partner = _id(required=False, allow_null=True)
    handoff_note = serializers.CharField(allow_blank=True)
    share_full_file = serializers.BooleanField(required=False, default=False)
    attach_to_existing = serializers.BooleanField(required=False, default=False)
    due_on = serializers.DateField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    topics = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, allow_null=True
    )
    checklist = ChecklistSerializer(required=False)


class AcceptSerializer(serializers.Serializer):
    lead_counselor = _id(required=False, allow_null=True)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class AcknowledgeSerializer(serializers.Serializer):
    partner_contact = serializers.CharField(required=False, allow_blank=True, max_length=100)
    due_on = serializers.DateField(required=False, allow_null=True)


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(allow_blank=True)


# --- filters ---------------------------------------------------------------------------------


def _open_q() -> Q:
    return Q(status__in=OPEN_STATUSES)


def _overdue_q() -> Q:
    return Q(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())


class ReferralFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=ReferralKind.choices)
    status = filters.MultipleChoiceFilter(choices=ReferralStatus.choices)
    to_desk = filters.CharFilter(field_name="to_desk__code", max_length=32)
    from_desk = filters.CharFilter(field_name="from_case__desk__code", max_length=32)
    desk = filters.CharFilter(
        method="filter_desk", max_length=32, help_text="Referrals from or to this desk code."
    )
    to_partner = IdFilter(field_name="to_partner_id")
    partner_kind = filters.ChoiceFilter(field_name="to_partner__kind", choices=PartnerKind.choices)
    case = IdFilter(method="filter_case", help_text="Referrals out of or into this case.")
    from_case = IdFilter(field_name="from_case_id")
    open = filters.BooleanFilter(method="filter_open", help_text="Still awaiting an answer.")
    overdue = filters.BooleanFilter(method="filter_overdue", help_text="Open and past due.")
    referred_from, referred_to = day_range("referred_at", timestamp=True)
    due_from, due_to = day_range("due_on", timestamp=False)

    class Meta:
        model = Referral
        fields: list[str] = []

    def filter_desk(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(to_desk__code=value) | Q(from_case__desk__code=value))

    def filter_case(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(Q(from_case_id=value) | Q(created_case_id=value))

    def filter_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return _either(queryset, _open_q(), value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return _either(queryset, _overdue_q(), value)


def _either(queryset: QuerySet, condition: Q, value: bool | None) -> QuerySet:
    """The rows that meet `condition` (true), those that do not (false), or all (unset)."""
    if value is None:
        return queryset
    return queryset.filter(condition) if value else queryset.exclude(condition)


# --- views -----------------------------------------------------------------------------------


class ReferralViewSet(PlainServiceWrites, ServiceViewSet):
    """Referrals (紹介・引継ぎ) to another desk or a partner organisation.

    PUT/PATCH edit the hand-off checklist only (with `If-Match`); the status changes through
    the actions, which take an optional `If-Match` (412 when stale). An internal referral is
    answered by the receiving desk's coordinator or a manager; an external one records the
    partner's acknowledgement and outcome.
    """

    model = Referral
    serializer_class = ReferralSerializer
    create_serializer_class = ReferralCreateSerializer
    update_serializer_class = ChecklistSerializer
    filterset_class = ReferralFilter
    ordering_fields = ("id", "referred_at", "updated_at")
    ordering = ["-referred_at"]
    update_service = staticmethod(services.referral_update_checklist)
    update_keyword = "referral"

    def list_for_user(self, user: Any) -> QuerySet[Referral]:
        return selectors.with_handoff(selectors.referral_list_for_user(user=user))

    get_selector = staticmethod(selectors.referral_get_for_user)

    def after_read(self, objects: list[Model], *, many: bool) -> None:
        """A read of a referral shows its cases: restricted ones go to the access log."""
        user = self.request.user
        cases = [case for referral in objects for case in policy.cases_read_through(user, referral)]
        via = "api-list" if many else "api"
        case_services.access_log_record(user=user, cases=cases, via=via)

    def create_with_service(self, data: dict[str, Any]) -> Model:
        user = self.request.user
        from_case = named_case("from_case", user=user, pk=data.pop("from_case"))
        checklist = data.pop("checklist", None) or {}
        checklist.pop("original_referrer_informed", None)
        return services.referral_create(
            from_case=from_case,
            by=user,
            to_desk=resolve("to_desk", active_desk_get, code=data.pop("to_desk", None) or None),
            to_partner=resolve(
                "to_partner", selectors.active_partner_get, pk=data.pop("to_partner", None)
            ),
            **data,
            **checklist,
        )

    @transition(AcceptSerializer, ReferralSerializer)
    def accept(self, referral: Referral, data: dict[str, Any], expected_version: int | None):
        """The receiving desk takes the case on (optionally naming its lead counselor)."""
        return services.referral_accept(
            referral=referral,
            by=self.request.user,
            lead_counselor=resolve(
                "lead_counselor", active_staff_get, pk=data.get("lead_counselor")
            ),
            expected_version=expected_version,
        )

    @transition(DeclineSerializer, ReferralSerializer)
    def decline(self, referral: Referral, data: dict[str, Any], expected_version: int | None):
        """Decline with a reason; the referring desk is told."""
        return services.referral_decline(
            referral=referral,
            by=self.request.user,
            reason=data["reason"],
            expected_version=expected_version,
        )

    @transition(AcknowledgeSerializer, ReferralSerializer)
    def acknowledge(self, referral: Referral, data: dict[str, Any], expected_version: int | None):
        """The partner confirmed it has the client; the outcome is due next."""
        return services.referral_acknowledge(
            referral=referral,
            by=self.request.user,
            partner_contact=data.get("partner_contact", ""),
            due_on=data.get("due_on"),
            expected_version=expected_version,
        )

    @transition(OutcomeSerializer, ReferralSerializer, url_path="report-outcome")
    def report_outcome(
        self, referral: Referral, data: dict[str, Any], expected_version: int | None
    ):
        """What came of an external referral."""
        return services.referral_report_outcome(
            referral=referral,
            by=self.request.user,
            outcome=data["outcome"],
            expected_version=expected_version,
        )


class PartnerViewSet(ReadViewSet):
    """The partner organisations clients are referred to (edited in the admin)."""

    model = Partner
    serializer_class = PartnerSerializer
    filterset_fields = {"kind": ["exact"], "active": ["exact"]}
    ordering_fields = ("id", "code")
    ordering = ["code"]

    def list_for_user(self, user: Any) -> QuerySet[Partner]:
        return selectors.partner_list_for_user(user=user, include_inactive=True)

    get_selector = staticmethod(selectors.partner_get_for_user)


def register(router: BaseRouter) -> None:
    router.register("referrals", ReferralViewSet, basename="referral")
    router.register("partners", PartnerViewSet, basename="partner")

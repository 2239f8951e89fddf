"""`/api/v1/referrals/` (with `accept`, `decline`, `acknowledge`, `report-outcome`) and
`/api/v1/partners/`. Parsing and rendering only: the services decide."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casebook.accounts.selectors import active_desk_get, active_staff_get
from casebook.api.concurrency import VersionedUpdateMixin, expected_version_from
from casebook.api.filters import MAX_ID, AllowListOrderingFilter, IdFilter
from casebook.api.idempotency import IdempotentCreateMixin
from casebook.api.references import resolve
from casebook.api.views import ServiceCreateMixin
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services
from casebook.referrals import selectors, services
from casebook.referrals.models import (
    OPEN_STATUSES,
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
        fields = [
            "id",
            "code",
            "name",
            "name_kana",
            "kind",
            "municipality",
            "address",
            "phone",
            "email",
            "contact_person",
            "url",
            "active",
        ]
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
    overdue = serializers.SerializerMethodField()

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
            "consent_obtained": referral.consent_obtained,
            "consent_obtained_on": referral.consent_obtained_on,
            "documents_passed": referral.documents_passed,
            "original_referrer": referral.original_referrer,
            "informs_original_referrer": referral.informs_original_referrer,
            "original_referrer_informed": referral.original_referrer_informed_at is not None,
            "original_referrer_informed_at": referral.original_referrer_informed_at,
            "required": services.checklist_required(
                from_case=referral.from_case, to_partner=referral.to_partner
            ),
        }

    @extend_schema_field(HandoffSerializer)
    def get_handoff(self, referral: Referral) -> dict[str, Any]:
        view = selectors.handoff_view(self._user(), referral)
        return {
            "full_file": view.full_file,
            "number": view.number,
            "desk": view.desk,
            "title": view.title,
            "topics": view.topics,
            "status": view.status,
            "lead_counselor": view.lead_counselor,
            "withheld_reason": view.withheld_reason,
        }

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_existing_case(self, referral: Referral) -> int | None:
        case = selectors.visible_existing_case(self._user(), referral)
        return case.pk if case else None

    @extend_schema_field(serializers.BooleanField())
    def get_receiving_desk_had_open_case(self, referral: Referral) -> bool:
        return referral.existing_case_id is not None

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, referral: Referral) -> bool:
        return selectors.is_overdue(referral)


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
    referred_from = filters.DateFilter(field_name="referred_at", lookup_expr="date__gte")
    referred_to = filters.DateFilter(field_name="referred_at", lookup_expr="date__lte")
    due_from = filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_to = filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Referral
        fields: list[str] = []

    def filter_desk(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(to_desk__code=value) | Q(from_case__desk__code=value))

    def filter_case(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(Q(from_case_id=value) | Q(created_case_id=value))

    def filter_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        condition = Q(status__in=OPEN_STATUSES)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        condition = Q(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)


def _partner_get(*, pk: int) -> Partner:
    return Partner.objects.get(pk=pk, active=True)


# --- views -----------------------------------------------------------------------------------


class ReferralViewSet(
    IdempotentCreateMixin,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Referrals (紹介・引継ぎ) to another desk or a partner organisation.

    PUT/PATCH edit the hand-off checklist only (with `If-Match`); the status changes through
    the actions. An internal referral is answered by the receiving desk's coordinator or a
    manager; an external one records the partner's acknowledgement and outcome.
    """

    serializer_class = ReferralSerializer
    create_serializer_class = ReferralCreateSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = ReferralFilter
    ordering_fields = {"id": "id", "referred_at": "referred_at", "updated_at": "updated_at"}
    ordering = ["-referred_at"]

    def get_queryset(self) -> QuerySet[Referral]:
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        return selectors.referral_list_for_user(self.request.user)

    def get_object(self) -> Referral:
        return selectors.referral_get_for_user(self.request.user, self.kwargs["pk"])

    def get_update_serializer_class(self) -> type:
        return ChecklistSerializer

    def _render(self, referral: Referral) -> Response:
        fresh = selectors.referral_get_for_user(self.request.user, referral.pk)
        return Response(self.get_serializer(fresh).data)

    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        data = dict(validated_data)
        user = self.request.user
        from_case = resolve(
            "from_case", case_selectors.case_get_for_user, user=user, pk=data.pop("from_case")
        )
        case_services.access_log_record(user=user, cases=[from_case], via="api")
        to_desk = data.pop("to_desk", None)
        to_partner = data.pop("to_partner", None)
        checklist = data.pop("checklist", None) or {}
        checklist.pop("original_referrer_informed", None)
        referral = services.referral_create(
            from_case=from_case,
            by=user,
            to_desk=resolve("to_desk", active_desk_get, code=to_desk or None),
            to_partner=resolve("to_partner", _partner_get, pk=to_partner),
            **data,
            **checklist,
        )
        return selectors.referral_get_for_user(user, referral.pk)

    def perform_versioned_update(
        self, instance: Model, validated_data: dict[str, Any], expected_version: int
    ) -> Model:
        referral = services.referral_update_checklist(
            referral=instance,
            by=self.request.user,
            expected_version=expected_version,
            **validated_data,
        )
        return selectors.referral_get_for_user(self.request.user, referral.pk)

    def _action_input(self, request: Request, serializer_class: type) -> tuple[Referral, dict]:
        referral = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return referral, dict(serializer.validated_data)

    @extend_schema(request=AcceptSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request: Request, pk: str) -> Response:
        """The receiving desk takes the case on (optionally naming its lead counselor)."""
        referral, data = self._action_input(request, AcceptSerializer)
        lead = data.get("lead_counselor")
        referral = services.referral_accept(
            referral=referral,
            by=request.user,
            lead_counselor=resolve("lead_counselor", active_staff_get, pk=lead),
            expected_version=expected_version_from(request, required=False),
        )
        return self._render(referral)

    @extend_schema(request=DeclineSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request: Request, pk: str) -> Response:
        """Decline with a reason; the referring desk is told."""
        referral, data = self._action_input(request, DeclineSerializer)
        referral = services.referral_decline(
            referral=referral,
            by=request.user,
            reason=data["reason"],
            expected_version=expected_version_from(request, required=False),
        )
        return self._render(referral)

    @extend_schema(request=AcknowledgeSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def acknowledge(self, request: Request, pk: str) -> Response:
        """The partner confirmed it has the client; the outcome is due next."""
        referral, data = self._action_input(request, AcknowledgeSerializer)
        referral = services.referral_acknowledge(
            referral=referral,
            by=request.user,
            partner_contact=data.get("partner_contact", ""),
            due_on=data.get("due_on"),
            expected_version=expected_version_from(request, required=False),
        )
        return self._render(referral)

    @extend_schema(request=OutcomeSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], url_path="report-outcome")
    def report_outcome(self, request: Request, pk: str) -> Response:
        """What came of an external referral."""
        referral, data = self._action_input(request, OutcomeSerializer)
        referral = services.referral_report_outcome(
            referral=referral,
            by=request.user,
            outcome=data["outcome"],
            expected_version=expected_version_from(request, required=False),
        )
        return self._render(referral)


class PartnerViewSet(viewsets.ReadOnlyModelViewSet):
    """The partner organisations clients are referred to (edited in the admin)."""

    serializer_class = PartnerSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_fields = {"kind": ["exact"], "active": ["exact"]}
    ordering_fields = {"id": "id", "code": "code"}
    ordering = ["code"]

    def get_queryset(self) -> QuerySet[Partner]:
        if getattr(self, "swagger_fake_view", False):
            return Partner.objects.none()
        from casebook.intake import policy

        if not policy.is_staff_member(self.request.user):
            return Partner.objects.none()
        return Partner.objects.all()


def register(router: BaseRouter) -> None:
    router.register("referrals", ReferralViewSet, basename="referral")
    router.register("partners", PartnerViewSet, basename="partner")

"""Viewsets of clients, cases (with their transitions) and sessions."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from casebook.api.concurrency import VersionedUpdateMixin, check_if_match
from casebook.api.filters import AllowListOrderingFilter
from casebook.api.idempotency import IdempotentCreateMixin
from casebook.api.references import (
    active_desk_get,
    active_staff_get,
    office_get,
    resolve,
    resolve_many,
)
from casebook.api.views import ServiceCreateMixin
from casebook.intake import selectors, services
from casebook.intake.api import serializers as s
from casebook.intake.api.filters import CaseFilter, ClientFilter, SessionFilter
from casebook.intake.models import Case, Client, ConsultationSession, Topic


def _optional(field: str, getter: Any, value: Any) -> Any:
    return None if value is None else resolve(field, getter, value)


class ClientViewSet(
    IdempotentCreateMixin,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Clients (相談者): shared by every desk, so intake can search before it creates."""

    serializer_class = s.ClientSerializer
    create_serializer_class = s.ClientCreateSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = ClientFilter
    ordering_fields = {
        "id": "id",
        "name": "name",
        "name_kana": "name_kana_search",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    ordering = ["name_kana_search"]

    def get_queryset(self) -> QuerySet[Client]:
        if getattr(self, "swagger_fake_view", False):
            return Client.objects.none()
        return selectors.client_list_for_user(self.request.user)

    def get_object(self) -> Client:
        return selectors.client_get_for_user(self.request.user, self.kwargs["pk"])

    def get_update_serializer_class(self) -> type:
        return s.ClientUpdateSerializer

    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        return services.client_create(by=self.request.user, **validated_data)

    def perform_versioned_update(
        self, instance: Model, validated_data: dict[str, Any], expected_version: int
    ) -> Model:
        return services.client_update(
            client=instance,
            by=self.request.user,
            expected_version=expected_version,
            **validated_data,
        )

    @extend_schema(responses={200: s.CaseSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], url_path="cases")
    def cases(self, request: Request, pk: str) -> Response:
        """The client's cases that the caller may see."""
        client = self.get_object()
        queryset = _case_queryset(selectors.cases_of_client_for_user(request.user, client))
        return _paginated(self, queryset.order_by("-opened_at", "-id"), s.CaseSerializer)


def _case_queryset(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related("desk", "client").prefetch_related("topics", "co_counselors")


def _session_queryset(queryset: QuerySet[ConsultationSession]) -> QuerySet[ConsultationSession]:
    return queryset.select_related("case").prefetch_related("counselors", "topics")


def _paginated(view: Any, queryset: QuerySet, serializer_class: type) -> Response:
    page = view.paginate_queryset(queryset)
    items = list(page if page is not None else queryset)
    if items and isinstance(items[0], Case):
        selectors.access_log_list_reads(view.request.user, items, via="api-list")
    data = serializer_class(items, many=True, context=view.get_serializer_context()).data
    return view.get_paginated_response(data) if page is not None else Response(data)


class CaseViewSet(
    IdempotentCreateMixin,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Consultation cases (相談案件). Status changes only through the transition actions."""

    serializer_class = s.CaseSerializer
    create_serializer_class = s.CaseCreateSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = CaseFilter
    ordering_fields = {
        "id": "id",
        "opened_at": "opened_at",
        "number": "number",
        "status": "status",
        "priority": "priority",
        "updated_at": "updated_at",
    }
    ordering = ["-opened_at"]

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return _case_queryset(selectors.case_list_for_user(self.request.user))

    def get_object(self) -> Case:
        return selectors.case_get_for_user(self.request.user, self.kwargs["pk"], via="api")

    def get_update_serializer_class(self) -> type:
        return s.CaseUpdateSerializer

    def _render(self, case: Case) -> Response:
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(self.get_serializer(fresh).data)

    def list(self, request: Request) -> Response:
        return _paginated(self, self.filter_queryset(self.get_queryset()), s.CaseSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        return self._render(case)

    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        data = dict(validated_data)
        user = self.request.user
        data["desk"] = resolve("desk", active_desk_get, data["desk"])
        data["client"] = _optional(
            "client", lambda pk: selectors.client_get_for_user(user, pk), data.get("client")
        )
        data["intake_office"] = _optional("intake_office", office_get, data.get("intake_office"))
        data["lead_counselor"] = _optional(
            "lead_counselor", active_staff_get, data.get("lead_counselor")
        )
        case = services.case_open(by=user, **data)
        return self.get_queryset().get(pk=case.pk)

    def perform_versioned_update(
        self, instance: Model, validated_data: dict[str, Any], expected_version: int
    ) -> Model:
        data = dict(validated_data)
        if "co_counselors" in data:
            data["co_counselors"] = resolve_many(
                "co_counselors", active_staff_get, data["co_counselors"]
            )
        case = services.case_update(
            case=instance, by=self.request.user, expected_version=expected_version, **data
        )
        return self.get_queryset().get(pk=case.pk)

    def _transition(self, request: Request, serializer_class: type) -> tuple[Case, dict]:
        case = self.get_object()
        check_if_match(request, case)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return case, dict(serializer.validated_data)

    @extend_schema(request=s.AssignSerializer, responses={200: s.CaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request: Request, pk: str) -> Response:
        """Make a counselor the lead (coordinators; a counselor may take an intake)."""
        case, data = self._transition(request, s.AssignSerializer)
        counselor = resolve("counselor", active_staff_get, data["counselor"])
        case = services.case_assign(
            case=case, counselor=counselor, by=request.user, reason=data["reason"]
        )
        return self._render(case)

    @extend_schema(request=s.HoldSerializer, responses={200: s.CaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def hold(self, request: Request, pk: str) -> Response:
        """Wait on the client, with a reason and a resume-by date."""
        case, data = self._transition(request, s.HoldSerializer)
        case = services.case_hold(case=case, by=request.user, **data)
        return self._render(case)

    @extend_schema(request=s.ResumeSerializer, responses={200: s.CaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def resume(self, request: Request, pk: str) -> Response:
        """Back to the state the case was held in."""
        case, _data = self._transition(request, s.ResumeSerializer)
        case = services.case_resume(case=case, by=request.user)
        return self._render(case)

    @extend_schema(request=s.CloseSerializer, responses={200: s.CaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request: Request, pk: str) -> Response:
        """Close with a reason and a summary; a duplicate names the surviving case."""
        case, data = self._transition(request, s.CloseSerializer)
        user = request.user
        duplicate_of = _optional(
            "duplicate_of",
            lambda pk: selectors.case_get_for_user(user, pk, via="api"),
            data.pop("duplicate_of", None),
        )
        case = services.case_close(
            case=case,
            by=user,
            reason=data["reason"],
            summary=data["summary"],
            duplicate_of=duplicate_of,
        )
        return self._render(case)

    @extend_schema(request=s.ReopenSerializer, responses={200: s.CaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request: Request, pk: str) -> Response:
        """Reopen a closed case (coordinators and managers), with a reason."""
        case, data = self._transition(request, s.ReopenSerializer)
        case = services.case_reopen(case=case, by=request.user, reason=data["reason"])
        return self._render(case)

    @extend_schema(responses={200: s.SessionSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def sessions(self, request: Request, pk: str) -> Response:
        """The case's consultation sessions, newest first."""
        case = self.get_object()
        queryset = _session_queryset(selectors.session_list_for_user(request.user)).filter(
            case=case
        )
        return _paginated(self, queryset.order_by("-started_at", "-id"), s.SessionSerializer)


class SessionViewSet(
    IdempotentCreateMixin,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Consultation sessions (相談記録). After 7 days an edit is an amendment with a reason."""

    serializer_class = s.SessionSerializer
    create_serializer_class = s.SessionCreateSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = SessionFilter
    ordering_fields = {
        "id": "id",
        "started_at": "started_at",
        "duration_minutes": "duration_minutes",
        "created_at": "created_at",
    }
    ordering = ["-started_at"]

    def get_queryset(self) -> QuerySet[ConsultationSession]:
        if getattr(self, "swagger_fake_view", False):
            return ConsultationSession.objects.none()
        return _session_queryset(selectors.session_list_for_user(self.request.user))

    def get_object(self) -> ConsultationSession:
        return selectors.session_get_for_user(self.request.user, self.kwargs["pk"])

    def get_update_serializer_class(self) -> type:
        return s.SessionUpdateSerializer

    def _references(self, data: dict[str, Any]) -> dict[str, Any]:
        if "office" in data:
            data["office"] = _optional("office", office_get, data["office"])
        if "counselors" in data:
            data["counselors"] = resolve_many("counselors", active_staff_get, data["counselors"])
        return data

    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        user = self.request.user
        data = self._references(dict(validated_data))
        # The parent of the new row: a case the user may not see answers 404, as its URL would.
        data["case"] = selectors.case_get_for_user(user, data["case"], via="api")
        session = services.session_log(by=user, **data)
        return self.get_queryset().get(pk=session.pk)

    def perform_versioned_update(
        self, instance: Model, validated_data: dict[str, Any], expected_version: int
    ) -> Model:
        data = self._references(dict(validated_data))
        reason = data.pop("reason", "")
        session = services.session_update(
            session=instance,
            by=self.request.user,
            expected_version=expected_version,
            reason=reason,
            **data,
        )
        return self.get_queryset().get(pk=session.pk)


class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    """Consultation topics (reference data)."""

    serializer_class = s.TopicSerializer
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [AllowListOrderingFilter]
    ordering_fields = {"code": "code", "order": "sort_order"}
    ordering = ["sort_order"]

    def get_queryset(self) -> QuerySet[Topic]:
        return Topic.objects.all()

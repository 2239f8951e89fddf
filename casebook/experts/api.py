"""`/api/v1/experts/`, `/conflicts/`, `/programs/`, `/dispatches/` (with their actions) and
`/dispatches/{id}/visits/`. Views parse, call one service or selector, and render."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casebook.api.concurrency import VersionedUpdateMixin, expected_version_from
from casebook.api.filters import AllowListOrderingFilter
from casebook.api.idempotency import IdempotentCreateMixin
from casebook.api.references import resolve
from casebook.api.views import ServiceCreateMixin
from casebook.experts import selectors, serializers, services
from casebook.experts.models import (
    ConflictDeclaration,
    Dispatch,
    DispatchProgram,
    DispatchStatus,
    Expert,
    SubQuota,
)
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services

# Filters ----------------------------------------------------------------------------------


class ExpertFilter(filters.FilterSet):
    q = filters.CharFilter(method="_search", label="name or kana")
    qualification = filters.CharFilter(method="_search")
    specialty = filters.CharFilter(method="_search")
    area = filters.CharFilter(method="_search")
    active = filters.BooleanFilter()

    class Meta:
        model = Expert
        fields = ["active"]

    def _search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key = "text" if name == "q" else name
        found = selectors.expert_search(self.request.user, active=None, **{key: value})
        return queryset.filter(pk__in=found.values("pk"))


class ProgramFilter(filters.FilterSet):
    fiscal_year = filters.NumberFilter()
    desk = filters.CharFilter(field_name="desk__code")
    active = filters.BooleanFilter()

    class Meta:
        model = DispatchProgram
        fields = ["fiscal_year", "desk", "active"]


class DispatchFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=DispatchStatus.choices)
    program = filters.NumberFilter(field_name="program_id")
    expert = filters.NumberFilter(field_name="expert_id")
    case = filters.NumberFilter(field_name="case_id")
    desk = filters.CharFilter(field_name="program__desk__code")
    fiscal_year = filters.NumberFilter(field_name="program__fiscal_year")
    requested_after = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    requested_before = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Dispatch
        fields = ["status", "program", "expert", "case"]


# Experts and conflicts ----------------------------------------------------------------------


class ExpertViewSet(
    IdempotentCreateMixin,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The expert roster (staff); an expert login sees its own record only."""

    serializer_class = serializers.ExpertSerializer
    create_serializer_class = serializers.ExpertWriteSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = ExpertFilter
    ordering_fields = {"id": "id", "name": "name_search", "day_rate_yen": "day_rate_yen"}
    ordering = ["name_search", "id"]

    def get_queryset(self) -> QuerySet[Expert]:
        if getattr(self, "swagger_fake_view", False):
            return Expert.objects.none()
        return selectors.expert_list_for_user(self.request.user)

    def get_object(self) -> Expert:
        return selectors.expert_get_for_user(self.request.user, self.kwargs["pk"])

    def get_update_serializer_class(self) -> type:
        return serializers.ExpertWriteSerializer

    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        return services.expert_create(by=self.request.user, **validated_data)

    def perform_versioned_update(
        self, instance: Model, validated_data: dict[str, Any], expected_version: int
    ) -> Model:
        return services.expert_update(
            expert=instance,
            by=self.request.user,
            expected_version=expected_version,
            **validated_data,
        )

    @extend_schema(responses={200: serializers.ConflictSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def conflicts(self, request: Request, pk: str) -> Response:
        expert = self.get_object()
        return Response(
            serializers.ConflictSerializer(selectors.conflicts_of(expert), many=True).data
        )


class ConflictViewSet(
    IdempotentCreateMixin,
    ServiceCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Conflict-of-interest declarations of the experts the user may see."""

    serializer_class = serializers.ConflictSerializer
    create_serializer_class = serializers.ConflictCreateSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_fields = ["expert", "relation"]

    def get_queryset(self) -> QuerySet[ConflictDeclaration]:
        if getattr(self, "swagger_fake_view", False):
            return ConflictDeclaration.objects.none()
        experts = selectors.expert_list_for_user(self.request.user)
        return ConflictDeclaration.objects.filter(expert__in=experts.values("pk")).order_by("id")

    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        data = dict(validated_data)
        user = self.request.user
        expert = resolve(
            "expert", lambda pk: selectors.expert_get_for_user(user, pk), pk=data.pop("expert")
        )
        return services.conflict_declare(expert=expert, by=user, **data)

    @extend_schema(request=serializers.ReasonSerializer, responses={204: None})
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request: Request, pk: str) -> Response:
        declaration = self.get_object()
        serializer = serializers.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.conflict_withdraw(
            declaration=declaration, by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """Dispatch programs per fiscal year with their quota use, reproduced from dispatches."""

    serializer_class = serializers.ProgramSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = ProgramFilter
    ordering_fields = {"id": "id", "fiscal_year": "fiscal_year", "code": "code"}
    ordering = ["-fiscal_year", "code"]

    def get_queryset(self) -> QuerySet[DispatchProgram]:
        if getattr(self, "swagger_fake_view", False):
            return DispatchProgram.objects.none()
        return selectors.program_list_for_user(self.request.user)

    def get_object(self) -> DispatchProgram:
        return selectors.program_get_for_user(self.request.user, self.kwargs["pk"])


# Dispatches ---------------------------------------------------------------------------------


def _sub_quota(program: DispatchProgram, code: str | None) -> SubQuota | None:
    if not code:
        return None
    return resolve("sub_quota", program.sub_quotas.get, code=code)


class DispatchViewSet(
    IdempotentCreateMixin,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Expert dispatches: create a draft (or `submit: true`), then the transitions as actions.

    Actions take an optional `If-Match` with the dispatch's ETag (412 when stale).
    """

    serializer_class = serializers.DispatchSerializer
    create_serializer_class = serializers.DispatchCreateSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = DispatchFilter
    ordering_fields = {"id": "id", "created_at": "created_at", "updated_at": "updated_at"}
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Dispatch]:
        if getattr(self, "swagger_fake_view", False):
            return Dispatch.objects.none()
        return selectors.dispatch_list_for_user(self.request.user)

    def get_object(self) -> Dispatch:
        return selectors.dispatch_get_for_user(self.request.user, self.kwargs["pk"], via="api")

    def get_update_serializer_class(self) -> type:
        return serializers.DispatchUpdateSerializer

    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        data = dict(validated_data)
        user = self.request.user
        case = resolve("case", case_selectors.case_get_for_user, user=user, pk=data["case"])
        case_services.access_log_record(user=user, cases=[case], via="dispatch:api")
        program = resolve(
            "program", lambda pk: selectors.program_get_for_user(user, pk), pk=data["program"]
        )
        expert = resolve(
            "expert", lambda pk: selectors.expert_get_for_user(user, pk), pk=data["expert"]
        )
        dispatch = services.dispatch_request(
            case=case,
            program=program,
            sub_quota=_sub_quota(program, data.get("sub_quota")),
            expert=expert,
            purpose=data["purpose"],
            requested_days=data["requested_days"],
            competitors=data.get("competitors") or [],
            submit=data.get("submit", False),
            by=user,
        )
        return self.get_queryset().get(pk=dispatch.pk)

    def perform_versioned_update(
        self, instance: Model, validated_data: dict[str, Any], expected_version: int
    ) -> Model:
        data = dict(validated_data)
        user = self.request.user
        if "expert" in data:
            data["expert"] = resolve(
                "expert", lambda pk: selectors.expert_get_for_user(user, pk), pk=data["expert"]
            )
        if "sub_quota" in data:
            data["sub_quota"] = _sub_quota(instance.program, data["sub_quota"])
        dispatch = services.dispatch_update(
            dispatch=instance, by=user, expected_version=expected_version, **data
        )
        return self.get_queryset().get(pk=dispatch.pk)

    def _act(self, request: Request, serializer_class: type | None) -> tuple[Dispatch, dict, dict]:
        dispatch = self.get_object()
        data: dict[str, Any] = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        common = {
            "dispatch": dispatch,
            "by": request.user,
            "expected_version": expected_version_from(request, required=False),
        }
        return dispatch, data, common

    def _render(self, dispatch: Dispatch) -> Response:
        fresh = self.get_queryset().get(pk=dispatch.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=serializers.EmptySerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request: Request, pk: str) -> Response:
        """Send a draft to the program's desk (conflict-of-interest check)."""
        _, _data, common = self._act(request, None)
        return self._render(services.dispatch_submit(**common))

    @extend_schema(
        request=serializers.ApproveSerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request: Request, pk: str) -> Response:
        """Reserve `days` (default: as requested) from the quota; 409 names the rule broken."""
        _, data, common = self._act(request, serializers.ApproveSerializer)
        return self._render(services.dispatch_approve(days=data.get("days"), **common))

    @extend_schema(
        request=serializers.ReasonSerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request: Request, pk: str) -> Response:
        _, data, common = self._act(request, serializers.ReasonSerializer)
        return self._render(services.dispatch_reject(reason=data["reason"], **common))

    @extend_schema(
        request=serializers.ReasonSerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel; days of visits already held stay booked, the rest is released."""
        _, data, common = self._act(request, serializers.ReasonSerializer)
        return self._render(services.dispatch_cancel(reason=data["reason"], **common))

    @extend_schema(
        request=serializers.CompleteSerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request: Request, pk: str) -> Response:
        """Book the days visited and release the rest of the reservation."""
        _, data, common = self._act(request, serializers.CompleteSerializer)
        return self._render(
            services.dispatch_complete(final_report=data.get("final_report", ""), **common)
        )

    @extend_schema(
        request=serializers.ReasonSerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[], url_path="override-conflict")
    def override_conflict(self, request: Request, pk: str) -> Response:
        """A manager accepts a declared conflict of interest with a written reason."""
        _, data, common = self._act(request, serializers.ReasonSerializer)
        return self._render(services.dispatch_override_conflict(reason=data["reason"], **common))

    @extend_schema(
        request=serializers.FinalReportSerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[], url_path="final-report")
    def final_report(self, request: Request, pk: str) -> Response:
        _, data, common = self._act(request, serializers.FinalReportSerializer)
        return self._render(
            services.dispatch_file_final_report(text=data["final_report"], **common)
        )

    @extend_schema(
        request=serializers.EmptySerializer, responses={200: serializers.DispatchSerializer}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def settle(self, request: Request, pk: str) -> Response:
        """The co-payment is settled: the dispatch is closed."""
        _, _data, common = self._act(request, None)
        return self._render(services.dispatch_settle(**common))


class VisitViewSet(viewsets.ViewSet):
    """`dispatches/{id}/visits/`: list and schedule; `…/visits/{id}/` read, report (PATCH
    with If-Match) and unschedule (DELETE with `?reason=`)."""

    serializer_class = serializers.VisitSerializer

    def _dispatch(self) -> Dispatch:
        return selectors.dispatch_get_for_user(
            self.request.user, self.kwargs["dispatch_pk"], via="api"
        )

    def _visit(self) -> Any:
        dispatch = self._dispatch()
        visit = dispatch.visits.filter(pk=self.kwargs["pk"]).first()
        if visit is None:
            raise Http404("no such visit")
        return visit

    @extend_schema(responses={200: serializers.VisitSerializer(many=True)})
    def list(self, request: Request, dispatch_pk: str) -> Response:
        return Response(serializers.VisitSerializer(self._dispatch().visits.all(), many=True).data)

    @extend_schema(
        request=serializers.VisitCreateSerializer, responses={201: serializers.VisitSerializer}
    )
    def create(self, request: Request, dispatch_pk: str) -> Response:
        dispatch = self._dispatch()
        serializer = serializers.VisitCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = services.visit_schedule(
            dispatch=dispatch, by=request.user, **serializer.validated_data
        )
        return Response(serializers.VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: serializers.VisitSerializer})
    def retrieve(self, request: Request, dispatch_pk: str, pk: str) -> Response:
        return self._with_etag(serializers.VisitSerializer(self._visit()).data)

    @extend_schema(
        request=serializers.VisitReportSerializer, responses={200: serializers.VisitSerializer}
    )
    def partial_update(self, request: Request, dispatch_pk: str, pk: str) -> Response:
        visit = self._visit()
        expected = expected_version_from(request)
        serializer = serializers.VisitReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = services.visit_file_report(
            visit=visit, by=request.user, expected_version=expected, **serializer.validated_data
        )
        return self._with_etag(serializers.VisitSerializer(visit).data)

    def destroy(self, request: Request, dispatch_pk: str, pk: str) -> Response:
        visit = self._visit()
        services.visit_unschedule(
            visit=visit, by=request.user, reason=request.query_params.get("reason", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _with_etag(data: dict[str, Any]) -> Response:
        response = Response(data)
        response["ETag"] = f'"{data["version"]}"'
        return response


visit_list = VisitViewSet.as_view({"get": "list", "post": "create"})
visit_detail = VisitViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    path("dispatches/<int:dispatch_pk>/visits/", visit_list, name="dispatch-visit-list"),
    path(
        "dispatches/<int:dispatch_pk>/visits/<int:pk>/",
        visit_detail,
        name="dispatch-visit-detail",
    ),
]


def register(router: BaseRouter) -> None:
    router.register("experts", ExpertViewSet, basename="expert")
    router.register("conflicts", ConflictViewSet, basename="conflict")
    router.register("programs", ProgramViewSet, basename="program")
    router.register("dispatches", DispatchViewSet, basename="dispatch")

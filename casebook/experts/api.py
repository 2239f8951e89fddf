"""`/api/v1/experts/`, `/conflicts/`, `/programs/`, `/dispatches/` (with their steps) and
`/dispatches/{id}/visits/`, on the base viewsets of `casebook.api.viewsets`: reads through
the selectors, one service per write, every answer rendered from the object the service
returned."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casebook.api.concurrency import ETagMixin, expected_version_from
from casebook.api.filters import day_range
from casebook.api.references import resolve
from casebook.api.viewsets import (
    PlainServiceWrites,
    ReadViewSet,
    ServiceCreateMixin,
    ServiceViewSet,
    transition,
)
from casebook.experts import selectors, serializers, services
from casebook.experts.models import (
    ConflictDeclaration,
    Dispatch,
    DispatchProgram,
    DispatchStatus,
    Expert,
    SubQuota,
)
from casebook.intake import services as case_services
from casebook.intake.api.references import CaseReadsLogged, named_case

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
        found = selectors.expert_search(user=self.request.user, active=None, **{key: value})
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
    requested_after, requested_before = day_range("created_at", timestamp=True)

    class Meta:
        model = Dispatch
        fields = ["status", "program", "expert", "case"]


# Experts and conflicts ----------------------------------------------------------------------


class ExpertViewSet(PlainServiceWrites, ServiceViewSet):
    """The expert roster (staff); an expert login sees its own record only."""

    model = Expert
    serializer_class = serializers.ExpertSerializer
    create_serializer_class = serializers.ExpertWriteSerializer
    update_serializer_class = serializers.ExpertWriteSerializer
    filterset_class = ExpertFilter
    ordering_fields = {"id": "id", "name": "name_search", "day_rate_yen": "day_rate_yen"}
    ordering = ["name_search", "id"]
    list_selector = staticmethod(selectors.expert_list_for_user)
    get_selector = staticmethod(selectors.expert_get_for_user)
    create_service = staticmethod(services.expert_create)
    update_service = staticmethod(services.expert_update)
    update_keyword = "expert"

    @extend_schema(responses={200: serializers.ConflictSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def conflicts(self, request: Request, pk: str) -> Response:
        expert = self.get_object()
        return Response(
            serializers.ConflictSerializer(selectors.conflicts_of(expert=expert), many=True).data
        )


class ConflictViewSet(ServiceCreateMixin, ReadViewSet):
    """Conflict-of-interest declarations of the experts the user may see."""

    model = ConflictDeclaration
    serializer_class = serializers.ConflictSerializer
    create_serializer_class = serializers.ConflictCreateSerializer
    filterset_fields = ["expert", "relation"]
    ordering_fields = ("id",)
    ordering = ["id"]

    def list_for_user(self, user: Any) -> QuerySet[ConflictDeclaration]:
        experts = selectors.expert_list_for_user(user=user)
        return ConflictDeclaration.objects.filter(expert__in=experts.values("pk"))

    def get_for_user(self, user: Any, pk: Any) -> ConflictDeclaration:
        try:
            return self.list_for_user(user).select_related("expert").get(pk=pk)
        except (ConflictDeclaration.DoesNotExist, ValueError, TypeError):
            raise Http404("no such declaration") from None

    def create_with_service(self, data: dict[str, Any]) -> Model:
        user = self.request.user
        expert = resolve("expert", selectors.expert_get_for_user, user=user, pk=data.pop("expert"))
        return services.conflict_declare(expert=expert, by=user, **data)

    @extend_schema(request=serializers.ReasonSerializer, responses={204: None})
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request: Request, pk: str) -> Response:
        declaration = self.get_object()
        data = self.parse(serializers.ReasonSerializer)
        services.conflict_withdraw(declaration=declaration, by=request.user, reason=data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProgramViewSet(ReadViewSet):
    """Dispatch programs per fiscal year with their quota use, reproduced from dispatches."""

    model = DispatchProgram
    serializer_class = serializers.ProgramSerializer
    filterset_class = ProgramFilter
    ordering_fields = ("id", "fiscal_year", "code")
    ordering = ["-fiscal_year", "code"]
    list_selector = staticmethod(selectors.program_list_for_user)
    get_selector = staticmethod(selectors.program_get_for_user)


# Dispatches ---------------------------------------------------------------------------------


def _sub_quota(program: DispatchProgram, code: str | None) -> SubQuota | None:
    if not code:
        return None
    return resolve("sub_quota", program.sub_quotas.get, code=code)


class DispatchViewSet(CaseReadsLogged, ServiceViewSet):
    """Expert dispatches: create a draft (or `submit: true`), then the steps as actions.

    PUT/PATCH edit a draft or a pending request (with `If-Match`); the steps take an optional
    `If-Match` with the dispatch's ETag (412 when stale).
    """

    model = Dispatch
    serializer_class = serializers.DispatchSerializer
    create_serializer_class = serializers.DispatchCreateSerializer
    update_serializer_class = serializers.DispatchUpdateSerializer
    filterset_class = DispatchFilter
    ordering_fields = ("id", "created_at", "updated_at")
    ordering = ["-created_at", "-id"]
    list_selector = staticmethod(selectors.dispatch_list_for_user)
    get_selector = staticmethod(selectors.dispatch_get_for_user)
    # A read of a dispatch shows its case.
    read_via = ("dispatch:api", "dispatch:api-list")

    def create_with_service(self, data: dict[str, Any]) -> Model:
        user = self.request.user
        case = named_case("case", user=user, pk=data["case"], via="dispatch:api")
        program = resolve("program", selectors.program_get_for_user, user=user, pk=data["program"])
        expert = resolve("expert", selectors.expert_get_for_user, user=user, pk=data["expert"])
        return services.dispatch_request(
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

    def update_with_service(self, obj: Model, data: dict[str, Any], expected_version: int) -> Model:
        user = self.request.user
        if "expert" in data:
            data["expert"] = resolve(
                "expert", selectors.expert_get_for_user, user=user, pk=data["expert"]
            )
        if "sub_quota" in data:
            data["sub_quota"] = _sub_quota(obj.program, data["sub_quota"])
        return services.dispatch_update(
            dispatch=obj, by=user, expected_version=expected_version, **data
        )

    def _step(self, service: Any, dispatch: Dispatch, expected_version: int | None, **data: Any):
        return service(
            dispatch=dispatch, by=self.request.user, expected_version=expected_version, **data
        )

    @transition(serializers.EmptySerializer, serializers.DispatchSerializer)
    def submit(self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None):
        """Send a draft to the program's desk (conflict-of-interest check)."""
        return self._step(services.dispatch_submit, dispatch, expected_version)

    @transition(serializers.ApproveSerializer, serializers.DispatchSerializer)
    def approve(self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None):
        """Reserve `days` (default: as requested) from the quota; 409 names the rule broken."""
        return self._step(
            services.dispatch_approve, dispatch, expected_version, days=data.get("days")
        )

    @transition(serializers.ReasonSerializer, serializers.DispatchSerializer)
    def reject(self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None):
        """Reject the request, with a reason."""
        return self._step(services.dispatch_reject, dispatch, expected_version, **data)

    @transition(serializers.ReasonSerializer, serializers.DispatchSerializer)
    def cancel(self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None):
        """Cancel; days of visits already held stay booked, the rest is released."""
        return self._step(services.dispatch_cancel, dispatch, expected_version, **data)

    @transition(serializers.CompleteSerializer, serializers.DispatchSerializer)
    def complete(self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None):
        """Book the days visited and release the rest of the reservation."""
        return self._step(services.dispatch_complete, dispatch, expected_version, **data)

    @transition(
        serializers.ReasonSerializer, serializers.DispatchSerializer, url_path="override-conflict"
    )
    def override_conflict(
        self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None
    ):
        """A manager accepts a declared conflict of interest with a written reason."""
        return self._step(services.dispatch_override_conflict, dispatch, expected_version, **data)

    @transition(
        serializers.FinalReportSerializer, serializers.DispatchSerializer, url_path="final-report"
    )
    def final_report(self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None):
        """The final report of the dispatch."""
        return self._step(
            services.dispatch_file_final_report,
            dispatch,
            expected_version,
            text=data["final_report"],
        )

    @transition(serializers.EmptySerializer, serializers.DispatchSerializer)
    def settle(self, dispatch: Dispatch, data: dict[str, Any], expected_version: int | None):
        """The co-payment is settled: the dispatch is closed."""
        return self._step(services.dispatch_settle, dispatch, expected_version)


class VisitViewSet(ETagMixin, viewsets.ViewSet):
    """`dispatches/{id}/visits/`: list and schedule; `…/visits/{id}/` read, report (PATCH
    with If-Match) and unschedule (DELETE with `?reason=`)."""

    serializer_class = serializers.VisitSerializer

    def _dispatch(self) -> Dispatch:
        user = self.request.user
        dispatch = selectors.dispatch_get_for_user(user=user, pk=self.kwargs["dispatch_pk"])
        case_services.access_log_record(user=user, cases=[dispatch.case], via="dispatch:api")
        return dispatch

    def _visit(self) -> Any:
        visit = self._dispatch().visits.filter(pk=self.kwargs["pk"]).first()
        if visit is None:
            raise Http404("no such visit")
        return visit

    def _parse(self, serializer_class: type) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(responses={200: serializers.VisitSerializer(many=True)})
    def list(self, request: Request, dispatch_pk: str) -> Response:
        return Response(serializers.VisitSerializer(self._dispatch().visits.all(), many=True).data)

    @extend_schema(
        request=serializers.VisitCreateSerializer, responses={201: serializers.VisitSerializer}
    )
    def create(self, request: Request, dispatch_pk: str) -> Response:
        dispatch = self._dispatch()
        data = self._parse(serializers.VisitCreateSerializer)
        visit = services.visit_schedule(dispatch=dispatch, by=request.user, **data)
        return Response(serializers.VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: serializers.VisitSerializer})
    def retrieve(self, request: Request, dispatch_pk: str, pk: str) -> Response:
        return Response(serializers.VisitSerializer(self._visit()).data)

    @extend_schema(
        request=serializers.VisitReportSerializer, responses={200: serializers.VisitSerializer}
    )
    def partial_update(self, request: Request, dispatch_pk: str, pk: str) -> Response:
        visit = self._visit()
        expected = expected_version_from(request)
        data = self._parse(serializers.VisitReportSerializer)
        visit = services.visit_file_report(
            visit=visit, by=request.user, expected_version=expected, **data
        )
        return Response(serializers.VisitSerializer(visit).data)

    def destroy(self, request: Request, dispatch_pk: str, pk: str) -> Response:
        visit = self._visit()
        services.visit_unschedule(
            visit=visit, by=request.user, reason=request.query_params.get("reason", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


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

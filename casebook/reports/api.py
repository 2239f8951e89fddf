"""`/api/v1/reports/consultations/`, `/api/v1/reports/cases/` and `/api/v1/reports/plan/`:
the numbers of the report pages (the same selectors), as JSON. A login that reads no report
gets 404; a bad filter 400 naming the field. `/api/v1/activities/`: the activities the plan
counts, with their participants; POST records one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from casebook.accounts.selectors import active_desk_get
from casebook.api.references import resolve
from casebook.api.viewsets import ReadViewSet, ServiceCreateMixin
from casebook.common.fiscal import current_fiscal_year
from casebook.common.paging import page_number
from casebook.intake import selectors as case_selectors
from casebook.intake.api.references import CaseReadsLogged, named_case
from casebook.intake.models import (
    OUTCOME_FACTS,
    OUTCOME_FIGURES,
    BusinessStatus,
    ClientOutcome,
    OutcomeOccasion,
)
from casebook.reports import policy, selectors, services
from casebook.reports.forms import ReportFilterForm
from casebook.reports.models import Activity, ActivityKind
from casebook.reports.selectors import ReportFilters

FILTER_PARAMETERS = [
    OpenApiParameter("fy", int, description="fiscal year (default: the current one)"),
    OpenApiParameter("desk", str, description="desk code"),
    OpenApiParameter("office", str, description="office code"),
    OpenApiParameter("counselor", int, description="counselor id"),
    OpenApiParameter("topic", str, description="topic code"),
    OpenApiParameter("mode", str, description="session mode"),
]


def _filters(request: Request) -> ReportFilters:
    policy.require_reader(request.user)
    form = ReportFilterForm(request.query_params, user=request.user)
    if not form.is_valid():
        raise serializers.ValidationError(form.errors)
    return form.filters()


class ConsultationReportView(APIView):
    """The consultation count, unique and new clients, by month, desk, office, mode, topic
    and counselor (docs/reports.md, "Consultations")."""

    @extend_schema(
        parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT}, tags=["reports"]
    )
    def get(self, request: Request) -> Response:
        report = selectors.consultation_report(user=request.user, filters=_filters(request))
        return Response(report.as_dict())


class CaseReportView(APIView):
    """Cases opened and closed by month and reason, the median days from intake to the first
    session, the open cases' ageing (docs/reports.md, "Cases")."""

    @extend_schema(
        parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT}, tags=["reports"]
    )
    def get(self, request: Request) -> Response:
        report = selectors.case_report(user=request.user, filters=_filters(request))
        return Response(report.as_dict())


class PlanFiscalYear(serializers.Serializer):
    fy = serializers.IntegerField(min_value=2000, max_value=2100, required=False)


def _org_fiscal_year(request: Request) -> int:
    """The `fy` of a report only managers and auditors read (the plan, the funder packs); the
    current fiscal year when absent, 400 naming `fy` when wrong."""
    policy.require_org_reader(request.user)
    query = PlanFiscalYear(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("fy") or current_fiscal_year()


class PlanReportView(APIView):
    """Each target of the fiscal year's plan, its actual and the pace (docs/reports.md,
    "Plan vs actual"); managers and auditors."""

    @extend_schema(
        parameters=[FILTER_PARAMETERS[0]], responses={200: OpenApiTypes.OBJECT}, tags=["reports"]
    )
    def get(self, request: Request) -> Response:
        fiscal_year = _org_fiscal_year(request)
        return Response(selectors.plan_report(user=request.user, fiscal_year=fiscal_year).as_dict())


class OutcomeReportView(APIView):
    """What clients reported in the year: the change of sales, employees and value added in
    aggregate, the facts reported (docs/reports.md, "Outcomes"); `results` the clients the
    reader may see, 50 a page (`page`)."""

    @extend_schema(
        parameters=[*FILTER_PARAMETERS[:5], OpenApiParameter("page", int)],
        responses={200: OpenApiTypes.OBJECT},
        tags=["reports"],
    )
    def get(self, request: Request) -> Response:
        report = selectors.outcome_report(
            user=request.user, filters=_filters(request), page=page_number(request.query_params)
        )
        return Response(
            {
                **report.as_dict(),
                "page": report.page.number,
                "has_next": report.page.has_next,
                "results": [row.as_dict() for row in report.page],
            }
        )


class OperationsReportView(APIView):
    """The figures the other apps add to the reports — dispatch days by program, sub-quota
    and expert, co-payments, satellite utilisation, the exit track by path and stage
    (docs/reports.md, "Operations"): sections of tables."""

    @extend_schema(
        parameters=FILTER_PARAMETERS[:2], responses={200: OpenApiTypes.OBJECT}, tags=["reports"]
    )
    def get(self, request: Request) -> Response:
        report = selectors.operations_report(user=request.user, filters=_filters(request))
        return Response(report.as_dict())


class FunderPackView(APIView):
    """A funder pack's figures by month of the fiscal year (docs/reports.md, "Funder packs"):
    `{pack, title, organisation, fiscal_year, fiscal_year_label, months, rows: [{key, label,
    group, months, total}]}`; managers and auditors."""

    pack = ""

    @extend_schema(
        parameters=[FILTER_PARAMETERS[0]], responses={200: OpenApiTypes.OBJECT}, tags=["reports"]
    )
    def get(self, request: Request) -> Response:
        fiscal_year = _org_fiscal_year(request)
        report = selectors.funder_pack(user=request.user, pack=self.pack, fiscal_year=fiscal_year)
        return Response(report.as_dict())


class SatisfactionReportView(APIView):
    """The satisfaction survey's results: sent, answered, response rate, mean score and the
    distribution of the scores, in total, by month, desk and lead counselor at closure
    (docs/reports.md, "Satisfaction survey"). No comment and no case: the page shows managers
    the comments."""

    @extend_schema(
        parameters=FILTER_PARAMETERS[:5], responses={200: OpenApiTypes.OBJECT}, tags=["reports"]
    )
    def get(self, request: Request) -> Response:
        report = selectors.satisfaction_report(user=request.user, filters=_filters(request))
        return Response(report.as_dict())


urlpatterns = [
    *(
        path(
            f"reports/funders/{pack}/",
            FunderPackView.as_view(pack=pack),
            name=f"api-report-funders-{pack}",
        )
        for pack in ("yorozu", "ip")
    ),
    path(
        "reports/satisfaction/",
        SatisfactionReportView.as_view(),
        name="api-report-satisfaction",
    ),
    path("reports/operations/", OperationsReportView.as_view(), name="api-report-operations"),
    path("reports/outcomes/", OutcomeReportView.as_view(), name="api-report-outcomes"),
    path(
        "reports/consultations/",
        ConsultationReportView.as_view(),
        name="api-report-consultations",
    ),
    path("reports/cases/", CaseReportView.as_view(), name="api-report-cases"),
    path("reports/plan/", PlanReportView.as_view(), name="api-report-plan"),
]


class ParticipantSerializer(serializers.Serializer):
    client = serializers.IntegerField(source="participant.client_id")
    client_name = serializers.CharField(source="participant.client.name")
    deals = serializers.IntegerField(source="participant.deals")
    follow_up_case = serializers.SerializerMethodField()
    note = serializers.CharField(source="participant.note")

    @extend_schema_field(OpenApiTypes.INT)
    def get_follow_up_case(self, row: Any) -> int | None:
        """Only a case the reader may see, and never a restricted one."""
        return row.participant.follow_up_case_id if row.follow_up_shown else None


class ActivitySerializer(serializers.ModelSerializer):
    desk = serializers.SlugRelatedField(slug_field="code", read_only=True)
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "desk",
            "title",
            "held_on",
            "place",
            "online",
            "organisers",
            "note",
            "participants",
        ]
        read_only_fields = fields

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, activity: Activity) -> list[dict[str, Any]]:
        rows = selectors.activity_participants(user=self.context["request"].user, activity=activity)
        return ParticipantSerializer(rows, many=True).data


class ActivityListSerializer(ActivitySerializer):
    participant_count = serializers.IntegerField(read_only=True)
    deal_count = serializers.IntegerField(read_only=True, allow_null=True)
    follow_up_count = serializers.IntegerField(read_only=True)

    class Meta(ActivitySerializer.Meta):
        fields = [f for f in ActivitySerializer.Meta.fields if f != "participants"] + [
            "participant_count",
            "deal_count",
            "follow_up_count",
        ]
        read_only_fields = fields


class ParticipantInputSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1)
    deals = serializers.IntegerField(min_value=0, default=0)
    follow_up_case = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ActivityCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    desk = serializers.CharField(max_length=32)
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    online = serializers.BooleanField(default=False)
    organisers = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    participants = ParticipantInputSerializer(many=True, required=False, default=list)


class ActivityViewSet(ServiceCreateMixin, ReadViewSet):
    """The activities of the desks whose figures the reader reads; POST records one held
    activity with its participants (a coordinator of its desk or a manager)."""

    model = Activity
    serializer_class = ActivitySerializer
    create_serializer_class = ActivityCreateSerializer
    filterset_fields = {"kind": ["exact"], "held_on": ["gte", "lte"]}
    ordering_fields = {"held_on": "held_on", "id": "id"}
    ordering = ["-held_on", "-id"]
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self) -> type:
        return ActivityListSerializer if self.action == "list" else ActivitySerializer

    def list_for_user(self, user: Any) -> QuerySet[Activity]:
        policy.require_reader(user)
        return selectors.activity_list_for_user(user=user)

    get_selector = staticmethod(selectors.activity_get_for_user)

    def create_with_service(self, data: dict[str, Any]) -> Activity:
        user = self.request.user
        policy.require_reader(user)
        participants = [
            services.Participant(
                client=resolve(
                    "participants", case_selectors.client_get_for_user, user=user, pk=row["client"]
                ),
                deals=row["deals"],
                follow_up_case=resolve(
                    "participants",
                    case_selectors.case_get_for_user,
                    user=user,
                    pk=row.get("follow_up_case"),
                ),
                note=row["note"],
            )
            for row in data.pop("participants")
        ]
        desk = resolve("desk", active_desk_get, code=data.pop("desk"))
        return services.activity_create(by=user, desk=desk, participants=participants, **data)


class ClientOutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientOutcome
        fields = [
            "id",
            "case",
            "client",
            "occasion",
            "reported_on",
            *OUTCOME_FIGURES,
            "value_added_yen",
            *OUTCOME_FACTS,
            "business_status",
            "note",
        ]
        read_only_fields = fields


class ClientOutcomeCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1)
    occasion = serializers.ChoiceField(
        choices=OutcomeOccasion.choices, default=OutcomeOccasion.FOLLOW_UP
    )
    reported_on = serializers.DateField()
    sales_yen = serializers.IntegerField(required=False, allow_null=True, default=None)
    employees = serializers.IntegerField(required=False, allow_null=True, default=None)
    operating_profit_yen = serializers.IntegerField(required=False, allow_null=True, default=None)
    personnel_costs_yen = serializers.IntegerField(required=False, allow_null=True, default=None)
    depreciation_yen = serializers.IntegerField(required=False, allow_null=True, default=None)
    new_customers = serializers.IntegerField(required=False, allow_null=True, default=None)
    patent_filed = serializers.BooleanField(default=False)
    trademark_filed = serializers.BooleanField(default=False)
    export_started = serializers.BooleanField(default=False)
    business_status = serializers.ChoiceField(
        choices=BusinessStatus.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OutcomeViewSet(CaseReadsLogged, ServiceCreateMixin, ReadViewSet):
    """What clients reported, on the cases the reader sees (`value_added_yen` derived:
    operating profit + personnel costs + depreciation); POST records one report on a case
    (its counselors or a coordinator of its desk)."""

    model = ClientOutcome
    serializer_class = ClientOutcomeSerializer
    create_serializer_class = ClientOutcomeCreateSerializer
    filterset_fields = {"case": ["exact"], "client": ["exact"], "reported_on": ["gte", "lte"]}
    ordering_fields = {"reported_on": "reported_on", "id": "id"}
    ordering = ["-reported_on", "-id"]
    http_method_names = ["get", "post", "head", "options"]

    list_selector = staticmethod(selectors.outcome_list_for_user)
    get_selector = staticmethod(selectors.outcome_get_for_user)

    def create_with_service(self, data: dict[str, Any]) -> ClientOutcome:
        user = self.request.user
        case = named_case("case", user=user, pk=data.pop("case"))
        return services.outcome_record(by=user, case=case, **data)


def register(router: BaseRouter) -> None:
    router.register("activities", ActivityViewSet, basename="activity")
    router.register("outcomes", OutcomeViewSet, basename="outcome")

"""`/api/v1/reports/consultations/`, `/api/v1/reports/cases/` and `/api/v1/reports/plan/`:
the numbers of the report pages (the same selectors), as JSON. A login that reads no report
gets 404; a bad filter 400 naming the field."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casebook.common.fiscal import current_fiscal_year
from casebook.reports import policy, selectors
from casebook.reports.forms import ReportFilterForm
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


class PlanReportView(APIView):
    """Each target of the fiscal year's plan, its actual and the pace (docs/reports.md,
    "Plan vs actual"); managers and auditors."""

    @extend_schema(
        parameters=[FILTER_PARAMETERS[0]], responses={200: OpenApiTypes.OBJECT}, tags=["reports"]
    )
    def get(self, request: Request) -> Response:
        policy.require_org_reader(request.user)
        query = PlanFiscalYear(data=request.query_params)
        query.is_valid(raise_exception=True)
        fiscal_year = query.validated_data.get("fy") or current_fiscal_year()
        return Response(selectors.plan_report(user=request.user, fiscal_year=fiscal_year).as_dict())


urlpatterns = [
    path(
        "reports/consultations/",
        ConsultationReportView.as_view(),
        name="api-report-consultations",
    ),
    path("reports/cases/", CaseReportView.as_view(), name="api-report-cases"),
    path("reports/plan/", PlanReportView.as_view(), name="api-report-plan"),
]

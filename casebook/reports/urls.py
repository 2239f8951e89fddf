from __future__ import annotations

from django.urls import path

from casebook.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.kpi_report, name="kpis"),
    path("consultations.csv", views.consultations_csv, name="consultations_csv"),
    path("consultations.xlsx", views.consultations_xlsx, name="consultations_xlsx"),
    path("cases.csv", views.cases_csv, name="cases_csv"),
    path("cases.xlsx", views.cases_xlsx, name="cases_xlsx"),
    path("plan/", views.plan_report, name="plan"),
    path("plan.csv", views.plan_csv, name="plan_csv"),
    path("plan.xlsx", views.plan_xlsx, name="plan_xlsx"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
]

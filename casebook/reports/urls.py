from __future__ import annotations

from django.urls import path

from casebook.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.kpi_report, name="kpis"),
    *(
        path(f"{name}.{fmt}", views.report_export, {"name": name, "fmt": fmt}, name=f"{name}_{fmt}")
        for name in views.EXPORTS
        for fmt in ("csv", "xlsx")
    ),
    path("sessions.csv", views.sessions_export, {"fmt": "csv"}, name="sessions_csv"),
    path("sessions.xlsx", views.sessions_export, {"fmt": "xlsx"}, name="sessions_xlsx"),
    path("plan/", views.plan_report, name="plan"),
    path("plan.csv", views.plan_csv, name="plan_csv"),
    path("plan.xlsx", views.plan_xlsx, name="plan_xlsx"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path(
        "activities/<int:pk>/participants/",
        views.activity_participant_add,
        name="activity_participant_add",
    ),
    path(
        "activities/<int:pk>/participants/remove/",
        views.activity_participant_remove,
        name="activity_participant_remove",
    ),
    path("outcomes/", views.outcome_report, name="outcomes"),
    path("operations/", views.operations_report, name="operations"),
    *(
        route
        for pack in ("yorozu", "ip")
        for route in (
            path(f"funders/{pack}/", views.funder_pack, {"pack": pack}, name=f"funders_{pack}"),
            path(
                f"funders/{pack}.xlsx",
                views.funder_pack_xlsx,
                {"pack": pack},
                name=f"funders_{pack}_xlsx",
            ),
        )
    ),
    path("satisfaction/", views.satisfaction_report, name="satisfaction"),
    path("cases/<int:pk>/outcome/", views.outcome_record, name="outcome_record"),
]

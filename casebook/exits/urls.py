from __future__ import annotations

from django.urls import path

from casebook.exits import views

app_name = "exits"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.dashboard_live, name="dashboard_live"),
    path("access-log/", views.access_log, name="access_log"),
    path("plans.csv", views.export_csv, name="export_csv"),
    path("cases/<int:pk>/put-on/", views.put_on_track, name="put_on"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/take-off/", views.take_off_track, name="take_off"),
    *(
        path(
            f"milestones/<int:pk>/{name}/",
            views.milestone_action,
            {"name": name},
            name=f"milestone_{name}",
        )
        for name in ("edit", "complete", "reopen")
    ),
]

from __future__ import annotations

from django.urls import path

from casebook.experts.views import actions, outputs, screens

app_name = "experts"

urlpatterns = [
    path("", screens.desk_page, name="desk"),
    path("experts/", screens.roster, name="roster"),
    path("experts/<int:pk>/", screens.expert_detail, name="expert"),
    path("experts/<int:pk>/conflicts/", actions.conflict_create, name="conflict_create"),
    path("dispatches/", screens.dispatch_list, name="dispatches"),
    path("dispatches/<int:pk>/", screens.dispatch_detail, name="dispatch"),
    path("dispatches/<int:pk>/order/", outputs.dispatch_order, name="order"),
    path("dispatches/<int:pk>/visits/", actions.visit_create, name="visit_create"),
    path("dispatches/<int:pk>/<slug:action>/", actions.dispatch_step, name="action"),
    path("cases/<int:case_id>/new/", actions.dispatch_new, name="new"),
    path("visits/<int:pk>/report/", actions.visit_report, name="visit_report"),
    path("visits/<int:pk>/delete/", actions.visit_delete, name="visit_delete"),
    path("quota/", screens.quota, name="quota"),
    path("copay.csv", outputs.copay_csv, name="copay_csv"),
    path("ical/<str:token>.ics", outputs.expert_feed, name="feed"),
]

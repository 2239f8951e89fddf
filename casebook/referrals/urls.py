from __future__ import annotations

from django.urls import path

from casebook.referrals import views

app_name = "referrals"

# The answers of the referral page: URL segment -> the policy's action name (and URL name).
ANSWER_PATHS = {
    "accept": "accept",
    "decline": "decline",
    "acknowledge": "acknowledge",
    "report-outcome": "report_outcome",
    "checklist": "checklist",
}

urlpatterns = [
    path("", views.referral_home, name="home"),
    path("new/", views.referral_new, name="new"),
    path("desks/<slug:code>/", views.desk_referrals, name="desk"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    *(
        path(f"<int:pk>/{segment}/", views.referral_answer, {"name": name}, name=name)
        for segment, name in ANSWER_PATHS.items()
    ),
    path("reports/", views.referral_reports, name="reports"),
    path("reports/desks.csv", views.desk_matrix_csv, name="desks_csv"),
    path("reports/partners.csv", views.partners_csv, name="partners_csv"),
    path("partners/", views.partner_list, name="partners"),
]

from __future__ import annotations

from django.urls import path

from casebook.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_home, name="home"),
    path("new/", views.referral_new, name="new"),
    path("desks/<slug:code>/", views.desk_referrals, name="desk"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/accept/", views.referral_accept, name="accept"),
    path("<int:pk>/decline/", views.referral_decline, name="decline"),
    path("<int:pk>/acknowledge/", views.referral_acknowledge, name="acknowledge"),
    path("<int:pk>/report-outcome/", views.referral_report_outcome, name="report_outcome"),
    path("<int:pk>/checklist/", views.referral_checklist, name="checklist"),
    path("reports/", views.referral_reports, name="reports"),
    path("reports/desks.csv", views.desk_matrix_csv, name="desks_csv"),
    path("reports/partners.csv", views.partners_csv, name="partners_csv"),
    path("partners/", views.partner_list, name="partners"),
]

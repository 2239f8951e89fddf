from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("casebook.accounts.urls")),
    path("referrals/", include("casebook.referrals.urls")),
    path("dispatch/", include("casebook.experts.urls")),
    path("exits/", include("casebook.exits.urls")),
    path("attachments/", include("casebook.attachments.urls")),
    path("notifications/", include("casebook.notifications.urls")),
    path("reports/", include("casebook.reports.urls")),
    path("satellites/", include("casebook.satellites.urls")),
    path("", include("casebook.intake.urls")),
    path("api/", include("casebook.api.urls")),
]

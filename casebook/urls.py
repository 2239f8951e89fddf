from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from casebook.reports import public as survey_public

urlpatterns = [
    # First: every API request is resolved without trying the screens' patterns (none of
    # which starts with api/).
    path("api/", include("casebook.api.urls")),
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
    # The satisfaction survey's public page (docs/reports.md, "Satisfaction survey").
    path("survey/<str:token>/", survey_public.survey_answer, name="survey_answer"),
    path("", include("casebook.intake.urls")),
]

# A request refused before any view (e.g. a Host not allowed) answers the API in its own shape.
handler400 = "casebook.api.urls.bad_request"

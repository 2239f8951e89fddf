from __future__ import annotations

from django.urls import path

from casebook.attachments import views

app_name = "attachments"

urlpatterns = [
    path("cases/<int:pk>/new/", views.attachment_new, name="new"),
    path("visits/<int:pk>/new/", views.attachment_new_on, {"host": "visit"}, name="visit_new"),
    path("<int:pk>/download/", views.attachment_download, name="download"),
]

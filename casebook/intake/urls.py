"""Web routes of the core screens: my cases, desk boards, cases, intake, sessions, clients."""

from __future__ import annotations

from django.urls import path

from casebook.intake import views

urlpatterns = [
    path("", views.home, name="home"),
    path("desks/<slug:code>/board/", views.board, name="desk_board"),
    path("desks/<slug:code>/board/columns/", views.board_columns, name="desk_board_columns"),
    path("desks/<slug:code>/board/more/", views.board_more, name="desk_board_more"),
    path("intake/", views.intake, name="intake"),
    path("intake/duplicates/", views.intake_duplicates, name="intake_duplicates"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/timeline/", views.case_timeline, name="case_timeline"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/details/", views.case_desk_details, name="case_desk_details"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    *(
        path(f"cases/<int:pk>/{name}/", views.case_transition, {"name": name}, name=f"case_{name}")
        for name in views.CASE_TRANSITIONS
    ),
    path("cases/<int:pk>/record/", views.case_record, name="case_record"),
    path("cases/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("clients/postal-code/", views.postal_code_place, name="postal_code_place"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
    path(
        "clients/<int:pk>/personal-data/",
        views.client_personal_data,
        name="client_personal_data",
    ),
    path("clients/<int:pk>/merge/", views.client_merge, name="client_merge"),
    path("clients/<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path(
        "clients/<int:pk>/contacts/<int:contact_pk>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
    path("search/", views.search, name="search"),
]

from __future__ import annotations

from django.urls import path

from casebook.satellites.views import booking, public, schedule, staff

app_name = "satellites"

urlpatterns = [
    path("", staff.index, name="index"),
    path("week/", staff.week, name="week"),
    path("utilisation/", staff.utilisation, name="utilisation"),
    path("slots/<int:pk>/book/", booking.book, name="book"),
    path("bookings/<int:pk>/cancel/", booking.cancel, name="cancel"),
    path("bookings/<int:pk>/check-in/", staff.check_in, name="check_in"),
    path("bookings/<int:pk>/no-show/", staff.no_show, name="no_show"),
    path("offices/<slug:code>/", staff.day, name="day"),
    path("offices/<slug:code>/schedule/", schedule.screen, name="schedule"),
    path("offices/<slug:code>/schedule/rules/new/", schedule.rule_new, name="rule_new"),
    path("offices/<slug:code>/schedule/rules/<int:pk>/", schedule.rule_edit, name="rule_edit"),
    path("offices/<slug:code>/schedule/days/new/", schedule.exception_new, name="day_new"),
    path(
        "offices/<slug:code>/schedule/days/<int:pk>/delete/",
        schedule.exception_delete,
        name="day_delete",
    ),
    path("offices/<slug:code>/schedule/slots/", schedule.slot_minutes, name="slot_minutes"),
    path("offices/<slug:code>/schedule/generate/", schedule.generate, name="generate"),
    path("book/", public.offices, name="public_offices"),
    path("book/done/", public.done, name="public_done"),
    path("book/cancel/<str:token>/", public.cancel, name="public_cancel"),
    path("book/<slug:code>/", public.book, name="public_book"),
]

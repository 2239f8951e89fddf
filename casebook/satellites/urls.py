from __future__ import annotations

from django.urls import path

from casebook.satellites.views import booking, public, staff

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
    path("book/", public.offices, name="public_offices"),
    path("book/done/", public.done, name="public_done"),
    path("book/cancel/<str:token>/", public.cancel, name="public_cancel"),
    path("book/<slug:code>/", public.book, name="public_book"),
]

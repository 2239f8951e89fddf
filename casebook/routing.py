"""WebSocket routes of every app."""

from __future__ import annotations

from django.urls import path

from casebook.exits.consumers import ExitDashboardConsumer
from casebook.intake import consumers
from casebook.notifications.consumers import InboxConsumer
from casebook.satellites.consumers import SatelliteDayConsumer

websocket_urlpatterns: list = [
    path("ws/board/<slug:desk>/", consumers.BoardConsumer.as_asgi()),
    path("ws/notifications/", InboxConsumer.as_asgi()),
    path("ws/cases/<int:pk>/", consumers.CaseConsumer.as_asgi()),
    path("ws/satellites/<slug:code>/", SatelliteDayConsumer.as_asgi()),
    path("ws/exits/", ExitDashboardConsumer.as_asgi()),
]

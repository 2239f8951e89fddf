"""`/api/v1/clients/`, `/cases/`, `/sessions/` and `/topics/`."""

from __future__ import annotations

from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    from casebook.intake.api.views import CaseViewSet, ClientViewSet, SessionViewSet, TopicViewSet

    router.register("clients", ClientViewSet, basename="client")
    router.register("cases", CaseViewSet, basename="case")
    router.register("sessions", SessionViewSet, basename="session")
    router.register("topics", TopicViewSet, basename="topic")

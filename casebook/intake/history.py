"""The kinds of objects the audit trail's history screen lists (docs/security.md, "Audit
screens"). Intake registers its own in `IntakeConfig.ready()`; the apps around cases build
theirs with `history_kind`: the app's permission-checked getter (404 otherwise), and a read of
a restricted case's history written to the access log as any other read of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from casebook.common.extensions import HistoryKind
from casebook.intake import selectors, services

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.common.extensions import Registry


def history_kind(
    key: str,
    label: str,
    getter: Callable[..., Any],
    case_of: Callable[[Any], Any] | None = None,
) -> HistoryKind:
    """`getter(user=…, pk=…)` fetches the object; `case_of(obj)` names the case whose
    restricted reads are logged (none for objects outside cases)."""

    def get(user: User, pk: Any) -> Any:
        obj = getter(user=user, pk=pk)
        if case_of is not None:
            services.access_log_record(user=user, cases=[case_of(obj)], via="history")
        return obj

    return HistoryKind(key=key, label=label, get=get)


def register(registry: Registry) -> None:
    registry.add_history_kind(history_kind("clients", _("client"), selectors.client_get_for_user))
    registry.add_history_kind(
        history_kind("cases", _("case"), selectors.case_get_for_user, lambda case: case)
    )
    registry.add_history_kind(
        history_kind("sessions", _("session"), selectors.session_get_for_user, lambda s: s.case)
    )

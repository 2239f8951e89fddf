"""Domain errors raised by services; the web and the API translate each to one response."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A rule of the domain refused the request. `code` is stable, `message` is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class TransitionNotAllowed(DomainError):
    """The object's state machine has no such transition from its current state (HTTP 409)."""

    code = "transition_not_allowed"

    def __init__(
        self,
        *,
        current: str,
        requested: str,
        message: str | None = None,
        current_label: str = "",
        requested_label: str = "",
    ) -> None:
        self.current = current
        self.requested = requested
        # What a page shows for the two codes (the API answers the codes themselves).
        self.current_label = current_label
        self.requested_label = requested_label
        super().__init__(
            message
            or _("cannot %(requested)s from state '%(current)s'")
            % {"requested": requested, "current": current}
        )

    @classmethod
    def labelled(
        cls,
        current: str,
        requested: str,
        states: Callable[[str], Any],
        actions: Mapping[str, Any],
        message: str | None = None,
    ) -> TransitionNotAllowed:
        """The 409 of a state machine whose states are the choices `states` and whose actions
        are labelled by `actions`; `message` names both labels as %(current)s and
        %(requested)s."""
        current_label = str(states(current).label)
        requested_label = str(actions.get(requested, requested))
        return cls(
            current=current,
            requested=requested,
            current_label=current_label,
            requested_label=requested_label,
            message=message and message % {"current": current_label, "requested": requested_label},
        )


class ConflictError(DomainError):
    """A rule that depends on other rows refused the request: quota, booking, open work (409)."""

    code = "conflict"


class ActionNotPermitted(DomainError):
    """The user can see the object but lacks the role for this action (HTTP 403)."""

    code = "permission_denied"


class StaleVersion(DomainError):
    """The client edited an older version than the one stored (HTTP 412)."""

    code = "stale_version"

    def __init__(self, *, expected: int, current: int) -> None:
        self.expected = expected
        self.current = current
        super().__init__(
            _("version %(expected)s is stale; the current version is %(current)s")
            % {"expected": expected, "current": current}
        )


def field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})

"""Django's and django-axes' authentication signals, written as security events
(docs/security.md, "Audit screens"); connected in `AccountsConfig.ready()`."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from casebook.accounts import services
from casebook.accounts.models import SecurityEventKind


def _logged_in(sender: Any, request: Any, user: Any, **_: Any) -> None:
    services.security_event_record(kind=SecurityEventKind.LOGIN, request=request, user=user)


def _logged_out(sender: Any, request: Any, user: Any, **_: Any) -> None:
    if user is not None and user.is_authenticated:
        services.security_event_record(kind=SecurityEventKind.LOGOUT, request=request, user=user)


def _login_failed(sender: Any, credentials: dict, request: Any = None, **_: Any) -> None:
    services.security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
    )


def _locked_out(sender: Any, request: Any, username: str | None = None, **_: Any) -> None:
    services.security_event_record(
        kind=SecurityEventKind.LOCKED_OUT, request=request, username=username or ""
    )


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="casebook.security_event.login")
    user_logged_out.connect(_logged_out, dispatch_uid="casebook.security_event.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="casebook.security_event.failed")
    user_locked_out.connect(_locked_out, dispatch_uid="casebook.security_event.locked_out")

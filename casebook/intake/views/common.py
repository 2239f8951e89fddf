"""What every screen shares: login, domain errors as pages, service errors on form fields,
one-time form tokens against double submission, and safe `next` redirects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from casebook.common.errors import ActionNotPermitted, ConflictError, TransitionNotAllowed
from casebook.intake.models import CaseStatus

View = Callable[..., HttpResponse]
ACTION_LABELS = {
    "assign": _("assign"),
    "take": _("take the case"),
    "hold": _("put on hold"),
    "resume": _("resume"),
    "close": _("close"),
    "reopen": _("reopen"),
    "edit": _("edit"),
    "log_session": _("log a session"),
    "start": _("start"),
    "dispatch_start": _("start a dispatch"),
    "dispatch_end": _("end a dispatch"),
}


def _status_label(status: str) -> str:
    return str(CaseStatus(status).label) if status in CaseStatus.values else status


FORM_TOKEN_TTL = 6 * 60 * 60


def screen(view: View) -> View:
    """Login required; a refused action renders 403 naming the rule, a refused transition 409."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ActionNotPermitted as error:
            return render(request, "403.html", {"message": error.message}, status=403)
        except TransitionNotAllowed as error:
            return render(
                request,
                "409.html",
                {
                    "message": error.message,
                    "current": _status_label(error.current),
                    "requested": ACTION_LABELS.get(error.requested, error.requested),
                },
                status=409,
            )
        except ConflictError as error:
            return render(request, "409.html", {"message": error.message}, status=409)

    return login_required(wrapper)


def apply_service_errors(
    form: forms.Form, error: ValidationError, *, rename: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: at the field when the form has it."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = rename.get(name, name)
        if target in form.fields and target != NON_FIELD_ERRORS:
            form.add_error(target, errors)
        else:
            form.add_error(None, errors)


def new_form_token() -> str:
    return uuid.uuid4().hex


def _token_key(request: HttpRequest, token: str) -> str:
    return f"casebook:form-token:{request.user.pk}:{token}"


def claim_form_token(request: HttpRequest, token: str) -> tuple[bool, str]:
    """(True, "") the first time `token` is posted; (False, where it went) on a replay."""
    if not token:
        return True, ""
    key = _token_key(request, token)
    if cache.add(key, "", FORM_TOKEN_TTL):
        return True, ""
    return False, cache.get(key) or ""


def settle_form_token(request: HttpRequest, token: str, result_url: str) -> None:
    if token:
        cache.set(_token_key(request, token), result_url, FORM_TOKEN_TTL)


def release_form_token(request: HttpRequest, token: str) -> None:
    """The submission failed (errors shown): the same form may be sent again."""
    if token:
        cache.delete(_token_key(request, token))


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback

"""What every server-rendered screen of every app shares (docs/architecture.md, "Web actions").

- `page_view`: login required; a domain error a service raises becomes its page (403 naming
  the rule, 409 naming the states or the conflict) instead of a server error;
- `form_action`: the one path of a web action (GET shows the form, POST validates, calls the
  service, maps its refusals onto the form, redirects);
- one-time form tokens, so that a form sent twice is saved once;
- `safe_next`: a `next` redirect that never leaves the site;
- `url_for_each`: one URL pattern for every row of a page at the price of one `reverse`.

Nothing here knows about cases or any other app: the rules stay in the policies and the
services, the words in the templates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from casebook.common.errors import (
    ActionNotPermitted,
    ConflictError,
    StaleVersion,
    TransitionNotAllowed,
)

View = Callable[..., HttpResponse]
# Stands for the row's id in `url_for_each`: no id ever reaches it, and every `<int:…>`
# converter takes it.
_ANY_ID = 987_654_321_987_654_321
FORM_TOKEN_TTL = 6 * 60 * 60
ALREADY_SAVED = _("This form was already sent; nothing was saved twice.")


def page_view(view: View) -> View:
    """Login required; a refused action renders 403 naming the rule, a refused transition or
    a conflict 409 (the service's words), so no view catches these itself."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ActionNotPermitted as error:
            return render(request, "403.html", {"message": error.message}, status=403)
        except TransitionNotAllowed as error:
            context = {
                "message": error.message,
                "current": error.current_label or error.current,
                "requested": error.requested_label or error.requested,
            }
            return render(request, "409.html", context, status=409)
        except (ConflictError, StaleVersion) as error:
            return render(request, "409.html", {"message": error.message}, status=409)

    return login_required(wrapper)


# --- one web action -----------------------------------------------------------------------


def apply_service_errors(
    form: forms.Form, error: ValidationError, *, rename: Mapping[str, str] | None = None
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


def posted(request: HttpRequest) -> Any:
    """What a form of `form_action` is bound to: the POST's data, or None on a GET (an unbound
    form, shown with its initial values)."""
    return request.POST if request.method == "POST" else None


def form_action(
    request: HttpRequest,
    *,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], Any],
    done: str | Callable[[Any], str],
    success_url: str | Callable[[Any], str],
    render_form: Callable[[forms.Form, int], HttpResponse],
    rename: Mapping[str, str] | None = None,
    once: bool = False,
    replayed: str = ALREADY_SAVED,
    transition_field: str | None = None,
) -> HttpResponse:
    """The one path of a web action, whichever app it belongs to.

    `form` is bound on POST and unbound on GET. A GET (or any unbound form) shows it. A POST
    that validates calls `perform(cleaned_data)`, the one service call, and redirects to
    `success_url` with the message `done`. What the service refuses stays on the page with
    everything typed: a ValidationError at its fields (400), a conflict or a stale version
    above the form (409). ActionNotPermitted and TransitionNotAllowed pass through to
    `page_view`, which answers 403 naming the rule and 409 naming the states, unless
    `transition_field` names the field whose value asked for the refused transition (a state
    chosen in the form): then the refusal shows at that field (409).

    `once=True` makes the form's `form_token` field a one-time token: a second post of the
    same form (a double click, a resent page) redirects to where the first one went and
    saves nothing.
    """
    if request.method != "POST" or not form.is_bound:
        return render_form(form, 200)
    if not form.is_valid():
        return render_form(form, 400)
    token = form.cleaned_data.get("form_token", "") if once else ""
    first, where = claim_form_token(request, token)
    if not first:
        messages.info(request, replayed)
        return redirect(where or _resolve(success_url, None))
    try:
        result = perform(form.cleaned_data)
    except ValidationError as error:
        release_form_token(request, token)
        apply_service_errors(form, error, rename=rename)
        return render_form(form, 400)
    except (ConflictError, StaleVersion) as error:
        release_form_token(request, token)
        form.add_error(None, error.message)
        return render_form(form, 409)
    except TransitionNotAllowed as error:
        release_form_token(request, token)
        if transition_field is None:
            raise
        form.add_error(transition_field, error.message)
        return render_form(form, 409)
    except Exception:
        release_form_token(request, token)
        raise
    url = _resolve(success_url, result)
    settle_form_token(request, token, url)
    messages.success(request, _resolve(done, result))
    return redirect(url)


def _resolve(value: str | Callable[[Any], str], result: Any) -> str:
    return value(result) if callable(value) else str(value)


# --- one-time form tokens -----------------------------------------------------------------


class OneTimeTokenForm(forms.Form):
    """A form sent with a one-time token (see `form_action(once=True)`)."""

    form_token = forms.CharField(widget=forms.HiddenInput, required=False)


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


# --- redirects ----------------------------------------------------------------------------


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the form or the query names when it stays on this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def always_japanese(view: View) -> View:
    """The public pages (the booking form, the survey) are for the public of the prefecture:
    always Japanese, whatever the browser asks for."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override("ja"):
            request.LANGUAGE_CODE = "ja"
            return view(request, *args, **kwargs)

    return wrapper


HOUR = 60 * 60


def over_hourly_limit(key: str, limit: int) -> bool:
    """Count one more attempt under `key` in the shared cache; True past `limit` an hour. The
    public forms key it on the client's address (docs/security.md, finding 5)."""
    cache.add(key, 0, HOUR)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, HOUR)
        attempts = 1
    return attempts > limit


def url_for_each(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for many `pk`s at the price of one `reverse`: a page of
    cards or rows links each of them, and `{% url %}` per row was a measurable part of the
    page (docs/performance.md, "The desk board"). For a URL whose one argument is an id."""
    before, marker, after = reverse(name, args=[_ANY_ID]).partition(str(_ANY_ID))
    if not marker:  # a converter that changes the id: each row needs its own reverse
        raise ValueError(f"{name}: the id is not in the URL as given")
    return lambda pk: f"{before}{int(pk)}{after}"

"""Log in, log out and change the password: Django's auth views with casebook's templates;
the user's own API tokens, listed and revoked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casebook.accounts import policy, selectors
from casebook.accounts.forms import SecurityEventFilterForm
from casebook.api import selectors as token_selectors
from casebook.api import services as token_services
from casebook.common.extensions import registry
from casebook.common.paging import page_number, query_without
from casebook.common.web import page_view

TOKENS_PER_PAGE = 50


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (a link cannot log anyone out); then back to the login page."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_invalid(self, form) -> HttpResponse:
        # A refused form answers 400 with its errors, as every other form of the site does
        # (docs/security.md, "Hostile input").
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


@require_GET
@page_view
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens, newest first, paged; each live one can be revoked."""
    tokens = token_selectors.token_list_for_user(user=request.user)
    page = Paginator(tokens, TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "registration/tokens.html", {"page": page})


@require_POST
@page_view
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = token_selectors.token_get_for_user(user=request.user, pk=pk)
    token_services.token_revoke(token=token, by=request.user)
    messages.success(request, _("The API token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("token_list")


@require_GET
@page_view
def security_events(request: HttpRequest) -> HttpResponse:
    """Logins, logouts, failed logins, lockouts and token exchanges; filterable, paged."""
    form = SecurityEventFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = selectors.security_event_page(
        user=request.user,
        number=page_number(request.GET),
        username=filters.get("user") or "",
        kind=filters.get("kind") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    context = {"form": form, "page": page, "query": query_without(request.GET)}
    return render(request, "registration/security_events.html", context)


@require_GET
@page_view
def object_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The history of one object an auditor or a manager may see (docs/security.md, "Audit
    screens"): the kind's getter fetches it. Everybody outside the audit trail gets the 404 an
    unknown object gets, so that the screen tells them nothing about what exists."""
    if not policy.reads_audit_trail(request.user):
        raise Http404("no such history")
    history_kind = registry.history_kind(kind)
    if history_kind is None:
        raise Http404("no such kind of object")
    obj = history_kind.get(request.user, pk)
    page = selectors.object_history_page(
        user=request.user, obj=obj, number=page_number(request.GET)
    )
    context = {"kind": history_kind, "obj": obj, "page": page, "query": ""}
    return render(request, "registration/object_history.html", context)

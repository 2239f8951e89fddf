"""Password guessing, limited by django-axes (docs/security.md, finding 5): the web login and
the API's token exchange count failures per username, in the database (shared by every
worker), and refuse the username for a while once the limit is reached.

The client address axes records comes from `client_ip`: `X-Forwarded-For` is believed only
for the number of proxies the deployment says it runs (CASEBOOK_TRUSTED_PROXY_COUNT); a
visitor who writes the header themselves changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_ip(request: HttpRequest) -> str:
    """The address of the client: the entry the last trusted proxy appended, else the peer."""
    trusted = settings.CASEBOOK_TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if trusted > 0 and len(forwarded) >= trusted:
        return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """429: in the API's error shape under /api/, else the login page saying why."""
    message = _("Too many failed logins for this user name. Try again in %(minutes)d minutes.") % {
        "minutes": settings.CASEBOOK_LOGIN_COOLOFF_MINUTES
    }
    if request.path.startswith("/api/"):
        from casebook.api.exceptions import error_body

        return JsonResponse(error_body(429, code="locked_out", detail=message), status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)

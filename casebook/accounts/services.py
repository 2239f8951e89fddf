"""Writes of the accounts app: the security events (docs/security.md, "Audit screens")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casebook.accounts.lockout import client_ip
from casebook.accounts.models import SecurityEvent, User

if TYPE_CHECKING:
    from django.http import HttpRequest


def security_event_record(
    *, kind: str, request: HttpRequest | None, user: User | None = None, username: str = ""
) -> SecurityEvent:
    """One row per event. The address is the one the lockout believes (trusted proxies only);
    a typed user name is linked to its login when there is one."""
    username = (username or (user.get_username() if user is not None else ""))[:150]
    if user is None and username:
        user = User.objects.filter(username=username).first()
    meta = request.META if request is not None else {}
    path = getattr(request, "path", "") or ""
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=username,
        address=client_ip(request)[:45] if request is not None else "",
        via="api" if path.startswith("/api/") else "web",
        user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:200],
    )

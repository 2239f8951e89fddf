"""An intake at the counter: the client (found or new) and the case, all or nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from casebook.accounts.models import Desk, User
from casebook.intake.models import Case, Client
from casebook.intake.services.cases import case_open
from casebook.intake.services.clients import client_create


@transaction.atomic
def intake_take(
    *,
    by: User,
    desk: Desk,
    client: Client | None = None,
    new_client: dict[str, Any] | None = None,
    allow_duplicate: bool = False,
    **case_fields: Any,
) -> Case:
    """Open a case for `client`, or for a client registered from `new_client` first.

    A refused case leaves no new client behind: both are saved in one transaction.
    """
    if client is None and new_client:
        client = client_create(by=by, allow_duplicate=allow_duplicate, **new_client)
    return case_open(desk=desk, client=client, by=by, **case_fields)

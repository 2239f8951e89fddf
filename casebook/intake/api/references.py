"""The case a request body names, for the resources of other apps that hang under a case."""

from __future__ import annotations

from typing import Any

from casebook.accounts.models import User
from casebook.api.references import resolve
from casebook.intake import selectors, services
from casebook.intake.models import Case


def named_case(field: str, *, user: User, pk: Any, via: str = "api") -> Case:
    """The case `pk` of `field` through the case policy (a field error when the user may not see
    it, as for any reference), its read written to the access log like any read of a case: a
    write under a case shows the case to the writer."""
    case = resolve(field, selectors.case_get_for_user, user=user, pk=pk)
    services.access_log_record(user=user, cases=[case], via=via)
    return case

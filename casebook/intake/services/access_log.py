"""The access log: every read of a restricted case, written here and only here (docs/rules.md,
"Access log").

Selectors never write, so the views, the API, the exports and the board call this after
they have fetched what they show. A page that shows one case logs every read; a list (board,
my cases, search, client page) logs each restricted case once per user and day, so that a
live refresh does not flood the log.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, NamedTuple

from django.utils import timezone

from casebook.common.days import start_of_day
from casebook.intake.models import AccessLog, Confidentiality

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case


class CaseRead(NamedTuple):
    """A case a list shows, as the log needs it: a list read as plain rows (my cases, the
    client page, search) passes its rows' ids and confidentiality instead of case instances."""

    pk: int
    confidentiality: str


def access_log_record(
    *,
    user: User,
    cases: Iterable[Case | CaseRead | None],
    via: str,
    once_a_day: bool = False,
    levels: Collection[str] = (Confidentiality.RESTRICTED,),
) -> int:
    """Log `user`'s read of each restricted case among `cases`; the number of rows written.

    `levels` widens what is logged for reads that are more sensitive than the case page (a
    downloaded attachment is logged on confidential cases too, docs/security.md)."""
    restricted = {
        case.pk: case for case in cases if case is not None and case.confidentiality in levels
    }
    if not restricted or not user.is_authenticated:
        return 0
    if once_a_day:
        already = set(
            AccessLog.objects.filter(
                user=user, case_id__in=list(restricted), at__gte=start_of_day(timezone.localdate())
            ).values_list("case_id", flat=True)
        )
        restricted = {pk: case for pk, case in restricted.items() if pk not in already}
    rows = [AccessLog(user=user, case_id=pk, via=via) for pk in restricted]
    AccessLog.objects.bulk_create(rows)
    return len(rows)

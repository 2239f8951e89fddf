"""The case a request body names, and the case a row shows, for the API resources of every app
that hang under a case."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
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


class CaseReadsLogged:
    """Mixed into a `ReadViewSet` (before it) whose rows each show one case: every read of a
    restricted one goes to the access log (docs/architecture.md, "The access log").
    `case_of(row)` is the case a row shows (`row.case` unless said otherwise), `case_columns`
    the same of a list's row of values, and `read_via` the log's words for a read of one row
    and of a list."""

    case_of: Callable[[Any], Case] = staticmethod(attrgetter("case"))
    # Of a list's row read as values: the columns of its case's id and confidentiality.
    case_columns: tuple[str, str] = ("case_id", "case__confidentiality")
    read_via: tuple[str, str] = ("api", "api-list")

    def row_columns(self) -> tuple[str, ...]:
        return self.case_columns

    def after_read(self, objects: list[Any], *, many: bool) -> None:
        if objects and isinstance(objects[0], dict):
            pk, confidentiality = self.case_columns
            cases = [services.CaseRead(row[pk], row[confidentiality]) for row in objects]
        else:
            cases = [self.case_of(obj) for obj in objects]
        services.access_log_record(
            user=self.request.user,  # type: ignore[attr-defined]
            cases=cases,
            via=self.read_via[many],
        )

"""Reads behind the WebSockets (`intake/consumers.py`), each filtered by the policy.

A socket lives for hours, so nothing here trusts what was true when it opened: every event
re-reads the user (still active? still logged in?) and the case (still visible to them?).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db.models import QuerySet, Value
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from casebook.accounts.models import Desk, User
from casebook.accounts.selectors import desk_get_for_user
from casebook.common.prepared import PreparedRead
from casebook.intake import policy
from casebook.intake.models import Case, CaseShare
from casebook.intake.selectors.board import board_card_ids


@dataclass(frozen=True)
class CaseSnapshot:
    """What a socket may tell its user about a case they can see."""

    id: int
    number: str
    title: str
    status: str
    desk: str
    lead_counselor_id: int | None

    def as_json(self) -> dict:
        return {
            "url": reverse("case_detail", args=[self.id]),
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "desk": self.desk,
            "lead_counselor": self.lead_counselor_id,
        }


def live_user(*, user_id: int | None, session_key: str | None) -> User | None:
    """The user as stored now; None once deactivated or logged out (the session that opened
    the socket no longer names them)."""
    if user_id is None or not session_key:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(session.get(SESSION_KEY, "")) != str(user_id):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def case_snapshot_for_user(*, user: User, case_id: int) -> CaseSnapshot | None:
    """The case as `user` may see it now, or None when they may not. (No access log: the
    socket only says that something changed; the page that shows the case logs its read.)"""
    row = (
        policy.cases_visible_to(user)
        .filter(pk=case_id)
        .values_list("pk", "number", "title", "status", "desk__code", "lead_counselor_id")
        .first()
    )
    return CaseSnapshot(*row) if row else None


def case_snapshot_get_for_user(*, user: User, case_id: int) -> CaseSnapshot:
    """The case whose page `user` opened, else 404."""
    snapshot = case_snapshot_for_user(user=user, case_id=case_id)
    if snapshot is None:
        raise Http404("no such case")
    return snapshot


def board_case_for_user(*, user: User, desk_code: str, case_id: int) -> CaseSnapshot | None:
    """The case as the board of `desk_code` may show it to `user` now; None when it is not
    theirs to see or not on this desk. 404 once they may no longer watch the board (the
    board page's own desk getter, so the page and its socket never disagree)."""
    desk = desk_get_for_user(user=user, code=desk_code)
    snapshot = case_snapshot_for_user(user=user, case_id=case_id)
    if snapshot is None or snapshot.desk != desk.code:
        return None
    return snapshot


def board_case_ids_for_user(*, user: User, desk: Desk) -> set[int]:
    """The open cases of the desk that `user`'s board shows now (the first cards of each
    column: bounded, whatever the backlog)."""
    return board_card_ids(user=user, desk=desk)


# --- the board socket: facts published once, logins re-read in one go ----------------------


# The case's own columns an event carries, in this order (`case_event_row`).
CASE_EVENT_COLUMNS = (
    "pk",
    "number",
    "title",
    "status",
    "desk__code",
    "lead_counselor_id",
    "desk_id",
    "desk__active",
    "confidentiality",
)
type CaseEventRow = tuple[int, str, str, str, str, int | None, int, bool, str]


def case_event_row(case: Case) -> CaseEventRow:
    """`CASE_EVENT_COLUMNS` of a case in memory (with its desk): a service's locked and saved
    case, as the transaction leaves it."""
    return (
        case.pk,
        case.number,
        case.title,
        case.status,
        case.desk.code,
        case.lead_counselor_id,
        case.desk_id,
        case.desk.active,
        case.confidentiality,
    )


def co_counselors_and_shares(case_id: int) -> QuerySet:
    """The case's co-counselors (`(user id, "counselor")`) and the desks it is shared with
    (`(desk id, "share")`), one statement."""
    co_counselors = (
        Case.co_counselors.through.objects.filter(case_id=case_id)
        .annotate(kind=Value("counselor"))
        .values_list("user_id", "kind")
    )
    shares = (
        CaseShare.objects.filter(case_id=case_id)
        .annotate(kind=Value("share"))
        .values_list("desk_id", "kind")
    )
    return co_counselors.union(shares, all=True)


# Its shape depends on nothing but the database: compiled once, then only executed; every
# case event reads it after its commit (docs/performance.md, "Session create: the
# statements compiled once, the answer rendered by its plan").
_co_counselors_and_shares = PreparedRead(
    Case.co_counselors.through, co_counselors_and_shares, args=(int,)
)


def case_event_payload(*, case_id: int, row: CaseEventRow | None = None) -> dict[str, Any] | None:
    """What a case event carries to the board sockets so that each decides without a query:
    the case's facts for the visibility rule (`policy.CaseFacts`) and what a board shows of
    it; read once per event when it is published, None for a case gone. `row`: the case's
    columns as the publishing service holds them (`case_event_row`), else read here. Its
    co-counselors and the desks it is shared with are one query; 2 queries without `row`."""
    if row is None:
        row = Case.objects.filter(pk=case_id).values_list(*CASE_EVENT_COLUMNS).first()
        if row is None:
            return None
    snapshot = CaseSnapshot(*row[:6])
    co_counselor_ids: set[int] = set()
    shared_desk_ids: set[int] = set()
    for pk, kind in _co_counselors_and_shares(case_id):
        (co_counselor_ids if kind == "counselor" else shared_desk_ids).add(pk)
    facts = policy.CaseFacts(
        id=case_id,
        desk_id=row[6],
        desk_active=row[7],
        confidentiality=row[8],
        lead_counselor_id=snapshot.lead_counselor_id,
        co_counselor_ids=frozenset(co_counselor_ids),
        shared_desk_ids=frozenset(shared_desk_ids),
    )
    return {"facts": facts.as_message(), "case": asdict(snapshot)}


def live_viewers(*, logins: Collection[tuple[int, str]]) -> dict[tuple[int, str], policy.Viewer]:
    """For each (user id, session key) of the open sockets, the login as stored now — still
    logged in by that session, still active — with its roles; absent once logged out or
    deactivated. Three queries whatever the number of sockets (the sessions, the users,
    their memberships) with the database session engines; one per session otherwise."""
    if not logins:
        return {}
    keys = {key for _user_id, key in logins}
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if issubclass(store_class, DatabaseSessionStore):
        rows = (
            store_class.get_model_class()
            .objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
            .values_list("session_key", "session_data")
        )
        decoder = store_class()
        named = {key: str(decoder.decode(data).get(SESSION_KEY, "")) for key, data in rows}
    else:
        named = {key: str(store_class(key).get(SESSION_KEY, "")) for key in keys}
    wanted = {user_id for user_id, key in logins if named.get(key) == str(user_id)}
    viewers = policy.viewers_of(User.objects.filter(pk__in=wanted, is_active=True))
    return {
        (user_id, key): viewers[user_id]
        for user_id, key in logins
        if user_id in viewers and named.get(key) == str(user_id)
    }

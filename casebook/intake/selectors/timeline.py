"""The one timeline of a case: sessions, assignments, status changes, history and what the
other apps contribute through the registry (referrals, dispatches …), newest first.

Its cost does not grow with the case: one query per kind of entry (sessions with their topics
and counselors, assignments, status changes, history rows, and each provider's own), and the
names a history row needs come from what the page already loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.db.models import (
    CharField,
    Exists,
    OuterRef,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.extensions import TimelineEntry, registry
from casebook.common.models import in_link_order
from casebook.common.prepared import PreparedRead
from casebook.intake import policy
from casebook.intake.models import (
    Assignment,
    Case,
    CaseStatus,
    CaseTransition,
    ConsultationSession,
    SessionAmendment,
    Topic,
)

# History fields that say nothing to a reader, or that the session, assignment and transition
# entries already show.
QUIET_HISTORY_FIELDS = frozenset(
    {
        "version",
        "updated_at",
        "status",
        "status_before_hold",
        "lead_counselor",
        "first_session_at",
        "closed_at",
        "closure_reason",
        "closure_summary",
        "hold_reason",
    }
)
HISTORY_SETS = ("topics", "co_counselors")


# The case page shows the newest entries of its timeline; the whole of it is one link away
# (and always on the printable record). Most of the page's time was drawing a long case's
# every entry (docs/performance.md, "The case page").
TIMELINE_PAGE = 20


def case_timeline(*, user: User, case: Case, offered: frozenset[str] | None = None) -> list:
    """Everything that happened to `case` that `user` may see, newest first.

    `offered` is the page's `policy.offered_actions` (read again when not given): the history
    of changes is shown only to those who may read it.
    """
    return _entries(user, case, offered)


def case_timeline_page(
    *, user: User, case: Case, offered: frozenset[str] | None = None, size: int = TIMELINE_PAGE
) -> tuple[list, bool]:
    """The newest `size` entries of `case_timeline`, and whether there are older ones.

    Only the sessions are read a page at a time (the newest `size + 1`): every session left
    out is older than the `size + 1` read, so the newest `size` entries of all kinds are the
    same as the whole timeline's. The other kinds are few and read whole; a history entry
    needs the row before it.
    """
    entries = _entries(user, case, offered, newest_sessions=size + 1)
    return entries[:size], len(entries) > size


def _entries(
    user: User, case: Case, offered: frozenset[str] | None, *, newest_sessions: int | None = None
) -> list:
    if offered is None:
        offered = policy.offered_actions(user, case)
    entries: list[TimelineEntry] = []
    sessions = _sessions(case, newest=newest_sessions)
    entries += [
        TimelineEntry(kind="session", at=session.started_at, by=session.created_by, obj=session)
        for session in sessions
    ]
    entries += _lifecycle_entries(case)
    if "read_history" in offered:
        entries += _history_entries(case, known=_known_names(case, sessions))
    entries += registry.timeline_entries(user, case)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def session_rows(case_id: int, *, newest: int | None = None) -> QuerySet[ConsultationSession]:
    """The sessions of a case as its timeline reads them, with their office, author and whether
    each was amended, without their sets; the newest `newest` of them when given."""
    queryset = (
        ConsultationSession.objects.filter(case_id=case_id)
        .select_related("office", "created_by")
        .annotate(amended=Exists(SessionAmendment.objects.filter(session=OuterRef("pk"))))
    )
    if newest is not None:
        queryset = queryset.order_by("-started_at", "-pk")[:newest]
    return queryset


# The two reads the case page makes of a case's sessions (its newest page, its whole timeline)
# depend on nothing but the database and the case's id: compiled once, then only executed.
# Building and compiling the read was most of its Python (docs/performance.md, "The case page's
# reads compiled once"). Another size is read through the ORM.
_SESSION_READS = {
    newest: PreparedRead(
        ConsultationSession,
        lambda case_id, newest=newest: session_rows(case_id, newest=newest),
        args=(int,),
    )
    for newest in (None, TIMELINE_PAGE + 1)
}
SESSION_SETS = ("topics", in_link_order("counselors", ConsultationSession.counselors))


def _sessions(case: Case, *, newest: int | None = None) -> list[ConsultationSession]:
    read = _SESSION_READS.get(newest)
    sessions = read(case.pk) if read is not None else list(session_rows(case.pk, newest=newest))
    # The sets as the query set's `prefetch_related` read them, after its rows.
    prefetch_related_objects(sessions, *SESSION_SETS)
    # Most sessions are never amended: read amendments only for those that were.
    prefetch_related_objects([s for s in sessions if s.amended], "amendments__by")
    return sessions


def lifecycle_rows(case_id: int) -> QuerySet[Assignment]:
    """The assignments and status changes of a case, one union of values lists: (kind, when,
    by, counselor, reason, from, to); `_lifecycle_entries` reads it as a statement compiled
    once (`_lifecycle_rows`)."""
    text = CharField()
    # The models' own orderings cannot apply to a union: the timeline sorts the entries.
    assignments = (
        Assignment.objects.filter(case_id=case_id)
        .order_by()
        .values_list(
            Value("assignment", output_field=text),
            "assigned_at",
            _name("assigned_by"),
            _name("counselor"),
            "reason",
            Value("", output_field=text),
            Value("", output_field=text),
        )
    )
    transitions = (
        CaseTransition.objects.filter(case_id=case_id)
        .exclude(action="assign")
        .order_by()
        .values_list(
            Value("transition", output_field=text),
            "at",
            _name("by"),
            Value("", output_field=text),
            "reason",
            "from_status",
            "to_status",
        )
    )
    return assignments.union(transitions, all=True).order_by()


def _lifecycle_entries(case: Case) -> list[TimelineEntry]:
    """Assignments and status changes, read together in one query.

    An assignment says more than its status change (who leads now), so the `assign`
    transitions are left out. `obj` is the row's lead (`counselor`) for an assignment and the
    two states for a status change; `by` is the name of whoever did it.
    """
    labels = dict(CaseStatus.choices)
    return [
        TimelineEntry(
            kind=kind,
            at=at,
            by=by,
            obj=_Lifecycle(
                counselor=counselor,
                from_status=str(labels.get(from_status, from_status)),
                to_status=str(labels.get(to_status, to_status)),
            ),
            text=reason,
        )
        for kind, at, by, counselor, reason, from_status, to_status in _lifecycle_rows(case.pk)
    ]


@dataclass(frozen=True)
class _Lifecycle:
    counselor: str
    from_status: str
    to_status: str


def _name(relation: str) -> Coalesce:
    """A person's name as the pages show it: the display name, else the login."""
    return Coalesce(
        NullIf(f"{relation}__display_name", Value("")),
        f"{relation}__username",
        output_field=CharField(),
    )


# Its shape depends on nothing but the database: compiled once, then only executed; building and
# compiling the union was most of its time (docs/performance.md, "The case page's sessions
# drawn once per shape").
_lifecycle_rows = PreparedRead(Assignment, lifecycle_rows, args=(int,))


# --- history ------------------------------------------------------------------------------


def _known_names(case: Case, sessions: list[ConsultationSession]) -> dict[str, dict[Any, str]]:
    """Names of the topics and people the page already holds, keyed as history rows key them."""
    topics: dict[Any, str] = {}
    people: dict[Any, str] = {}
    for topic in case.topics.all():
        topics[topic.pk] = topic.name
    for person in case.co_counselors.all():
        people[person.pk] = str(person)
    for session in sessions:
        topics.update((topic.pk, topic.name) for topic in session.topics.all())
        people.update((person.pk, str(person)) for person in session.counselors.all())
    return {"topics": topics, "co_counselors": people}


def history_rows(case_id: int) -> QuerySet[Any]:
    """A case's history rows with who made each, oldest first, as `case.history` reads them."""
    return (
        Case.history.model.objects.filter(id=case_id)
        .select_related("history_user")
        .order_by("history_date", "pk")
    )


# Its shape depends on nothing but the database: compiled once, then only executed.
_history_rows = PreparedRead(Case.history.model, history_rows, args=(int,))


def _history_entries(case: Case, *, known: dict[str, dict[Any, str]]) -> list[TimelineEntry]:
    records = _history_rows(case.pk)
    changed: list[tuple[Any, list[tuple[str, Any, Any]]]] = []
    for previous, record in pairwise(records):
        delta = record.diff_against(previous, excluded_fields=QUIET_HISTORY_FIELDS)
        changes = [(change.field, change.old, change.new) for change in delta.changes]
        changes += [
            (name, getattr(previous, name), getattr(record, name))
            for name in HISTORY_SETS
            if sorted(getattr(previous, name) or []) != sorted(getattr(record, name) or [])
        ]
        if changes:
            changed.append((record, changes))
    names = _complete_names(known, changed)
    return [
        TimelineEntry(
            kind="history",
            at=record.history_date,
            by=record.history_user,
            text=record.history_change_reason or "",
            changes=tuple(
                {
                    "field": _label(name),
                    "old": _display(name, old, names),
                    "new": _display(name, new, names),
                }
                for name, old, new in changes
            ),
        )
        for record, changes in changed
    ]


def _complete_names(
    known: dict[str, dict[Any, str]], changed: list[tuple[Any, list[tuple[str, Any, Any]]]]
) -> dict[str, dict[Any, str]]:
    """`known`, plus a query for the topics and people it lacks (usually none)."""
    wanted: dict[str, set[Any]] = {name: set() for name in HISTORY_SETS}
    for _record, changes in changed:
        for name, old, new in changes:
            if name in wanted:
                wanted[name].update(key for key in (old or []) + (new or []))
    missing_topics = wanted["topics"] - known["topics"].keys()
    missing_people = wanted["co_counselors"] - known["co_counselors"].keys()
    topics = dict(known["topics"])
    people = dict(known["co_counselors"])
    if missing_topics:
        topics.update(Topic.objects.filter(pk__in=missing_topics).values_list("pk", "name"))
    if missing_people:
        people.update((u.pk, str(u)) for u in User.objects.filter(pk__in=missing_people))
    return {"topics": topics, "co_counselors": people}


def _label(name: str) -> str:
    try:
        return str(Case._meta.get_field(name).verbose_name)
    except Exception:  # a field removed since the row was written: show its name
        return name


def _display(name: str, value: Any, names: dict[str, dict[Any, str]]) -> str:
    if value in (None, "", []):
        return "—"
    if name in HISTORY_SETS:
        lookup = names[name]
        return "、".join(lookup.get(key, str(key)) for key in value) or "—"
    try:
        model_field = Case._meta.get_field(name)
    except Exception:
        model_field = None
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)

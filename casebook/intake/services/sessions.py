"""Logging consultation sessions (相談記録) and correcting them (docs/rules.md, "Clients,
cases and sessions")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ConflictError
from casebook.common.history import set_keys
from casebook.common.models import ensure_version, in_link_order, raise_if_errors, save_tracked
from casebook.intake import policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import (
    SESSION_STATUSES,
    Case,
    CaseStatus,
    ConsultationSession,
    SessionAmendment,
    SessionMode,
)
from casebook.intake.services.cases import (
    case_started,
    lock_case,
    named_case_workers,
    topics_by_code,
)
from casebook.satellites.models import Office, OfficeKind

SESSION_TEXT_FIELDS = (
    "client_attendees",
    "summary",
    "advice",
    "client_next_actions",
    "our_next_actions",
)


def one_year_before(moment: dt.datetime) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def _validate(
    *,
    started_at: dt.datetime | None,
    duration_minutes: int | None,
    mode: str,
    office: Office | None,
    summary: str,
    follow_up_on: dt.date | None,
    errors: dict[str, list[ValidationError]],
) -> None:
    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    now = timezone.now()
    if started_at is None:
        add("started_at", _("give the date and time of the session"), "required")
    elif timezone.is_naive(started_at):
        add("started_at", _("the time needs a time zone"), "naive")
    elif started_at > now:
        add("started_at", _("a session cannot be dated in the future"), "future")
    elif started_at < one_year_before(now):
        add("started_at", _("a session cannot be dated more than one year back"), "too_old")
    if duration_minutes is None or not 1 <= duration_minutes <= 720:
        add("duration_minutes", _("the duration is between 1 and 720 minutes"), "range")
    if mode not in SessionMode.values:
        add("mode", _("'%s' is not a session mode") % mode, "invalid_choice")
    if mode == SessionMode.IN_PERSON_SATELLITE and (
        office is None or office.kind != OfficeKind.SATELLITE
    ):
        add("office", _("a session at a satellite names the satellite office"), "satellite")
    if not (summary or "").strip():
        add("summary", _("write what was discussed"), "required")
    if follow_up_on and started_at and follow_up_on < timezone.localtime(started_at).date():
        add("follow_up_on", _("the follow-up cannot be before the session"), "before_session")


@transaction.atomic
def session_log(
    *,
    case: Case | None = None,
    case_id: Any = None,
    by: User,
    started_at: dt.datetime,
    duration_minutes: int,
    mode: str,
    summary: str,
    office: Office | None = None,
    counselors: Iterable[User] | None = None,
    topics: Iterable[str] = (),
    client_attendees: str = "",
    advice: str = "",
    client_next_actions: str = "",
    our_next_actions: str = "",
    follow_up_on: dt.date | None = None,
) -> ConsultationSession:
    """Log a session in `case`, or in the case of `case_id`; the first one moves an assigned
    case to active.

    `case_id` names a case the caller has not read (the API's case id): it is read among the
    cases `by` may see and locked in one statement, 404 when `by` may not see it."""
    if (case is None) == (case_id is None):
        raise TypeError("session_log takes either case or case_id")
    case = lock_case(case) if case is not None else lock_case(case_id, visible_to=by)
    policy.require(by, policy.Action.LOG_SESSION, case)
    if case.status not in SESSION_STATUSES:
        if case.status == CaseStatus.CLOSED:
            raise ConflictError(
                _("a closed case is reopened before sessions are logged"), code="closed"
            )
        raise ConflictError(_("assign a lead counselor before logging sessions"), code="unassigned")
    errors: dict[str, list[ValidationError]] = {}
    _validate(
        started_at=started_at,
        duration_minutes=duration_minutes,
        mode=mode,
        office=office,
        summary=summary,
        follow_up_on=follow_up_on,
        errors=errors,
    )
    topic_objects = topics_by_code(topics, errors)
    present = (
        named_case_workers(counselors, "counselors", errors, case=case) if counselors else [by]
    )
    raise_if_errors(errors)
    session = ConsultationSession(
        case=case,
        started_at=started_at,
        duration_minutes=duration_minutes,
        mode=mode,
        office=office,
        client_attendees=client_attendees.strip(),
        summary=summary.strip(),
        advice=advice.strip(),
        client_next_actions=client_next_actions.strip(),
        our_next_actions=our_next_actions.strip(),
        follow_up_on=follow_up_on,
        created_by=by,
    )
    session.follow_case()
    # `_validate` checked the duration's range, the model's one check constraint.
    save_tracked(
        session,
        by=by,
        sets={"counselors": present, "topics": topic_objects},
        constraints_checked=True,
    )
    case_started(case=case, first_session_at=started_at, by=by)
    if follow_up_on != case.next_follow_up:
        # Equal dates need no write: the case's date is the same whether or not the new
        # session is its latest (it may be dated before another).
        cases_follow_up_refresh(case_ids=[case.pk], locked=True)
    publish_case_event(case, "session_logged", current=True)
    return session


def cases_follow_up_refresh(*, case_ids: Iterable[int], locked: bool = False) -> int:
    """Set each case's `next_follow_up` to the follow-up date of its latest session (none
    without sessions). Every write of a session's follow-up date, start or case calls it, in
    its transaction, for the cases whose sessions it changed. One UPDATE (the latest session
    read through `session_case_started`); a derived column: no history row, no new version.
    Returns the cases written.

    Unless the caller holds the cases' locks (`locked`), they are taken first: two writers
    of one case's sessions then compute its date one after the other, the second reading the
    first's sessions (an UPDATE that waited for a row reads with its own start's snapshot)."""
    ids = sorted(set(case_ids))
    if not locked:
        list(
            Case.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values("pk")
        )
    latest = ConsultationSession.objects.filter(case=OuterRef("pk")).order_by("-started_at", "-id")
    return Case.objects.filter(pk__in=ids).update(
        next_follow_up=Subquery(latest.values("follow_up_on")[:1])
    )


@transaction.atomic(savepoint=False)
def sessions_follow_cases(*, cases: Iterable[Case]) -> int:
    """Give the sessions of `cases` their case's current desk, client and confidentiality
    (docs/performance.md, "The FY KPI report", "The small desk's sessions"). Every write that
    moves a case to another desk or client or changes its confidentiality calls it, holding
    the case's lock (`lock_case`), after saving the case, in its transaction (no savepoint
    of its own: its UPDATEs fail with the write they follow). The copies are no part of a
    session's record: no history row. One UPDATE per desk, client and confidentiality;
    returns the sessions changed."""
    keys: dict[tuple[int, int | None, str], list[int]] = {}
    for case in cases:
        keys.setdefault((case.desk_id, case.client_id, case.confidentiality), []).append(case.pk)
    changed = 0
    for (desk_id, client_id, confidentiality), case_ids in keys.items():
        changed += (
            ConsultationSession.objects.filter(case_id__in=case_ids)
            .exclude(desk_id=desk_id, client_id=client_id, case_confidentiality=confidentiality)
            .update(desk_id=desk_id, client_id=client_id, case_confidentiality=confidentiality)
        )
    return changed


# The case's fields its sessions carry a copy of (docs/performance.md, "The FY KPI report",
# "The small desk's sessions").
SESSION_KEY_FIELDS = frozenset({"desk", "client", "confidentiality"})


@transaction.atomic
def case_moved(*, case: Case, changed_fields: Iterable[str]) -> int:
    """After an edit of `case` outside the case services (the admin), saved under its lock: when
    the edit moved it to another desk or client or changed its confidentiality, its sessions
    take the new ones. Returns the sessions changed."""
    if SESSION_KEY_FIELDS.isdisjoint(changed_fields):
        return 0
    return sessions_follow_cases(cases=[case])


@transaction.atomic
def session_update(
    *,
    session: ConsultationSession,
    by: User,
    expected_version: int | None,
    reason: str = "",
    **changes: Any,
) -> ConsultationSession:
    """Correct a session. Within 7 days it is edited; later it takes an amendment with a reason.

    Either way the previous values stay in the history; an amendment also keeps them side by
    side with the reason, so the record shows what was corrected and why.
    """
    # The case row before the session's: a merge (`case_close` of a duplicate) locks its
    # cases, in id order, before it moves their sessions, so a correction that held its
    # session while it waited for its case would deadlock with it.
    case = lock_case(session.case_id)
    session = (
        ConsultationSession.objects.select_for_update(no_key=True, of=("self",))
        .select_related("office")
        .prefetch_related("topics", in_link_order("counselors", ConsultationSession.counselors))
        .get(pk=session.pk)
    )
    if session.case_id != case.pk:
        # A merge moved the session while this waited for its case. Taking the survivor's
        # lock now would wait while holding the old case (maybe out of id order) and the
        # session, which whoever holds the survivor may be about to write (a client merge,
        # the exit track, a further merge): refused instead, the user corrects it anew on
        # its new case (docs/performance.md, "The session correction's lock order").
        raise ConflictError(
            _("the session was moved to another case while it was being corrected"),
            code="moved",
        )
    session.case = case
    policy.require(by, policy.Action.LOG_SESSION, case)
    ensure_version(session, expected_version)
    allowed = {
        *SESSION_TEXT_FIELDS,
        "started_at",
        "duration_minutes",
        "mode",
        "office",
        "follow_up_on",
        "topics",
        "counselors",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not session fields: {sorted(unknown)}")
    amendment = session.needs_amendment
    errors: dict[str, list[ValidationError]] = {}
    if amendment and not reason.strip():
        errors["reason"] = [
            ValidationError(
                _("a session older than 7 days is corrected by an amendment with a reason"),
                code="amendment_reason_required",
            )
        ]
    topic_objects = topics_by_code(changes["topics"], errors) if "topics" in changes else None
    present = (
        named_case_workers(
            changes["counselors"],
            "counselors",
            errors,
            case=session.case,
            keep=[p.pk for p in session.counselors.all()],
        )
        if "counselors" in changes
        else None
    )
    if present is not None and not present:
        errors.setdefault("counselors", []).append(
            ValidationError(_("name at least one counselor present"), code="required")
        )
    before: dict[str, Any] = {}
    for name in allowed & changes.keys() - {"topics", "counselors"}:
        value = changes[name]
        if name in SESSION_TEXT_FIELDS and isinstance(value, str):
            value = value.strip()
        if getattr(session, name) != value:
            before[name] = getattr(session, name)
            setattr(session, name, value)
    # An unchanged date is not re-judged: a session may age past the one-year limit.
    _validate(
        started_at=session.started_at if "started_at" in before else timezone.now(),
        duration_minutes=session.duration_minutes,
        mode=session.mode,
        office=session.office,
        summary=session.summary,
        follow_up_on=session.follow_up_on if "follow_up_on" in before else None,
        errors=errors,
    )
    raise_if_errors(errors)
    sets: dict[str, list] = {}
    if topic_objects is not None:
        before_topics = set_keys(session, "topics")
        if before_topics != sorted(t.code for t in topic_objects):
            before["topics"] = before_topics
            sets["topics"] = topic_objects
    if present is not None:
        before_ids = set_keys(session, "counselors")
        if before_ids != sorted(u.pk for u in present):
            before["counselors"] = before_ids
            sets["counselors"] = present
    save_tracked(
        session,
        by=by,
        update_fields=[name for name in before if name not in sets],
        reason=reason,
        sets=sets,
    )
    if amendment and before:
        SessionAmendment.objects.create(
            session=session,
            by=by,
            at=timezone.now(),
            reason=reason.strip(),
            changes={
                name: [_jsonable(old), _jsonable(_current(session, name))]
                for name, old in before.items()
            },
        )
    if {"started_at", "follow_up_on"} & before.keys():
        cases_follow_up_refresh(case_ids=[case.pk], locked=True)
    publish_case_event(case, "session_updated")
    return session


def _current(session: ConsultationSession, name: str) -> Any:
    if name in ("topics", "counselors"):
        return set_keys(session, name)
    return getattr(session, name)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value

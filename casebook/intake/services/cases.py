"""Opening, assigning and editing cases; the case row lock; numbering (docs/rules.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet, prefetch_related_objects
from django.db.models.query import MAX_GET_RESULTS
from django.db.transaction import TransactionManagementError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, DeskRole, User
from casebook.common.errors import ConflictError
from casebook.common.fiscal import fiscal_year_of
from casebook.common.models import ensure_version, in_link_order, raise_if_errors, save_tracked
from casebook.common.prepared import PreparedRead, is_row_id
from casebook.intake import policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import (
    Assignment,
    Case,
    CaseSequence,
    CaseShare,
    CaseStatus,
    Client,
    Confidentiality,
    IntakeChannel,
    Priority,
    SubcontractDetails,
    Topic,
    case_number,
)
from casebook.intake.services.transitions import ensure_transition, record_transition
from casebook.satellites.models import Office

ANONYMOUS_INTAKE_DESKS = frozenset({"subcontract"})


def lock_case(case: Case | int, *, visible_to: User | None = None) -> Case:
    """The case (or the case of that id) re-read under a lock of its row only, so that
    concurrent changes serialise.

    The one case lock of every app. `of=("self",)` locks the case row only: the desk and
    the client come along in the same query, and their rows stay free. `FOR NO KEY UPDATE`:
    two lockers of one case still wait for each other, but a transaction that writes a row
    pointing at the case (a session, a document, a referral, an access-log row) checks that
    key with `FOR KEY SHARE`, which this lock leaves free; no writer changes a case's key or
    deletes a case (docs/performance.md, "The case lock: FOR NO KEY UPDATE"). `visible_to`: `case`
    is a reference its caller has not read (an id in a request body): it is read among the
    cases that user may see (`policy.cases_visible_to`, what the case getter reads), 404 when
    they may not see it, in the statement that locks it (docs/performance.md, "Session create
    and dispatch approve"). Selectors never lock: the locked read is this service's.
    """
    pk = case.pk if isinstance(case, Case) else case
    # Read twice at most. A row locked after a concurrent update is checked again, in READ
    # COMMITTED, against the rows the statement joined it with when it began: a case moved to
    # another desk while this waited for its lock no longer matches its old desk's row and is
    # missed. The second read is a new statement, which sees the move (docs/performance.md,
    # "The case lock after a desk move").
    for _attempt in range(2):
        found = _lock_once(pk, visible_to)
        if found is not None:
            return found
    if visible_to is None:
        raise Case.DoesNotExist("Case matching query does not exist.")
    raise Http404("no such case")


def _lock_once(pk: Any, visible_to: User | None) -> Case | None:
    """The case of `pk` read and locked by one statement, or None."""
    prepared = case_lock_read(visible_to) if is_row_id(pk) else None
    if prepared is not None:
        if connection.get_autocommit():
            # What the ORM's compiler says of a lock outside a transaction.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        found = prepared(pk)
        return found[0] if found else None
    cases = Case.objects.all() if visible_to is None else policy.cases_visible_to(visible_to)
    try:
        return _locked(cases, pk).get()
    except Case.DoesNotExist:
        return None
    except (ValueError, TypeError):
        if visible_to is None:
            raise
        raise Http404("no such case") from None


def _locked(cases: QuerySet[Case], pk: Any) -> QuerySet[Case]:
    """The lock's query set as `get(pk=pk)` of the ORM's path below writes it: no ordering,
    at most `MAX_GET_RESULTS` rows (tests/intake/test_case_lock.py compares the two)."""
    locked = cases.select_for_update(no_key=True, of=("self",)).select_related("desk", "client")
    return locked.filter(pk=pk).order_by()[:MAX_GET_RESULTS]


# The lock by id alone, compiled once (docs/performance.md, "Session create: the
# statements compiled once, the answer rendered by its plan").
_LOCK_BY_ID = PreparedRead(Case, lambda pk: _locked(Case.objects.all(), pk), args=(int,))


def case_lock_read(user: User | None) -> PreparedRead | None:
    """The lock's statement compiled once: by id alone (`user` None), or among the cases
    `user` may see, once per login's facts (`policy.per_viewer`: the rule's shape is the
    login's desks and roles, and its co-counselled and shared cases are subqueries read by
    the statement itself, so one compilation answers every request of those facts). None
    for a login who sees nothing (the rule matches no row: read through the ORM). A prepared
    read goes to the database of reads, which is the one database of the settings; a router
    sending reads elsewhere would have to send this one where the writes go."""
    if user is None:
        return _LOCK_BY_ID
    if not user.is_authenticated or not user.is_active:
        return None
    return policy.per_viewer(user, ("case_lock",), lambda: _visible_lock(user))


def _visible_lock(user: User) -> PreparedRead:
    # The rule itself, not the login, is kept by the read: it is all the statement reads of
    # the login.
    visible = policy.visible_cases_q(user)
    return PreparedRead(Case, lambda pk: _locked(Case.objects.filter(visible), pk), args=(int,))


def next_case_number(desk: Desk, fiscal_year: int) -> int:
    """The next number of `desk` in `fiscal_year`, gap-free.

    One upsert both creates the counter and bumps it; the row stays locked until the
    transaction ends, so a rolled-back intake gives its number back instead of leaving a gap.
    """
    table = CaseSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (desk_id, fiscal_year, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (desk_id, fiscal_year) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [desk.pk, fiscal_year],
        )
        return cursor.fetchone()[0]


def numbered_case(*, desk: Desk, opened_at: dt.datetime, **fields: Any) -> Case:
    """A new case, not yet saved, with the next number of `desk` in the fiscal year it opens
    in. Call it inside the transaction that saves the case: the number is taken for good only
    when that commits."""
    fiscal_year = fiscal_year_of(opened_at)
    sequence = next_case_number(desk, fiscal_year)
    return Case(
        number=case_number(desk.code, fiscal_year, sequence),
        desk=desk,
        fiscal_year=fiscal_year,
        sequence=sequence,
        opened_at=opened_at,
        **fields,
    )


def validate_choices(errors: dict, **values: tuple[str, type]) -> None:
    for field, (value, choices) in values.items():
        if value not in choices.values:
            errors.setdefault(field, []).append(
                ValidationError(
                    _("'%(value)s' is not one of: %(choices)s")
                    % {"value": value, "choices": ", ".join(choices.values)},
                    code="invalid_choice",
                )
            )


def named_case_workers(
    users: Iterable[User], field: str, errors: dict, *, case: Case, keep: Iterable[int] = ()
) -> list[User]:
    """Only the case's desk's case workers (and whoever is on the case already) are named as
    its counselors: naming someone gives them the case to read (docs/security.md, finding 2).
    `keep`: ids already named on the object being edited, who stay choosable.

    The error names the refused people by id: a display name would tell anyone who guesses
    ids who works where."""
    from casebook.accounts.selectors import desk_case_workers

    users = list(dict.fromkeys(users))
    # Asked in steps, each only for whoever the previous one did not place: a counselor
    # logging their own case's session (the lead) costs no query (docs/performance.md,
    # "Session create and dispatch approve").
    allowed = {case.lead_counselor_id, *keep} - {None}
    unplaced = [u.pk for u in users if u.pk not in allowed]
    if unplaced:
        loaded = getattr(case, "_prefetched_objects_cache", {}).get("co_counselors")
        if loaded is None:  # not prefetched by the caller (case_update prefetches them)
            on_case = Case.co_counselors.through.objects.filter(
                case_id=case.pk, user_id__in=unplaced
            ).values_list("user_id", flat=True)
        else:
            on_case = [user.pk for user in loaded]
        allowed |= set(on_case)
        unplaced = [pk for pk in unplaced if pk not in allowed]
    if unplaced:
        allowed |= set(
            desk_case_workers(desk=case.desk).filter(pk__in=unplaced).values_list("pk", flat=True)
        )
    strangers = [str(u.pk) for u in users if u.pk not in allowed]
    if strangers:
        errors.setdefault(field, []).append(
            ValidationError(
                _("not a counselor of this case's desk: %s") % ", ".join(strangers),
                code="not_desk_staff",
            )
        )
    return users


def topics_by_code(codes: Iterable[str], errors: dict) -> list[Topic]:
    codes = list(dict.fromkeys(codes))
    topics = list(Topic.objects.filter(code__in=codes))
    missing = set(codes) - {t.code for t in topics}
    if missing:
        errors.setdefault("topics", []).append(
            ValidationError(
                _("unknown topics: %s") % ", ".join(sorted(missing)), code="invalid_choice"
            )
        )
    return topics


@transaction.atomic
def case_open(
    *,
    desk: Desk,
    client: Client | None,
    title: str,
    intake_channel: str,
    by: User,
    topics: Iterable[str] = (),
    intake_office: Office | None = None,
    priority: str = Priority.NORMAL,
    confidentiality: str | None = None,
    opened_at: dt.datetime | None = None,
    lead_counselor: User | None = None,
    referred_from: Case | None = None,
) -> Case:
    """Take an intake: a new case in the desk's queue, numbered `{desk}-{FY}-{seq:05d}`.

    A referral puts a case in another desk's queue: whoever may refer `referred_from` may
    open it there, though they are no member of that desk (docs/rules.md, "Referrals").
    """
    if referred_from is None:
        policy.require_intake(by, desk)
    else:
        policy.require(by, policy.Action.REFER, referred_from)
        intake_channel = IntakeChannel.REFERRAL
    now = timezone.now()
    opened_at = opened_at or now
    confidentiality = confidentiality or desk.default_confidentiality
    errors: dict[str, list[ValidationError]] = {}
    validate_choices(
        errors,
        intake_channel=(intake_channel, IntakeChannel),
        priority=(priority, Priority),
        confidentiality=(confidentiality, Confidentiality),
    )
    if confidentiality == Confidentiality.RESTRICTED:
        errors.setdefault("confidentiality", []).append(
            ValidationError(
                _("a case becomes restricted only when it is put on the exit track"),
                code="restricted_via_exit_track",
            )
        )
    if client is None and desk.code not in ANONYMOUS_INTAKE_DESKS:
        errors.setdefault("client", []).append(
            ValidationError(_("a client is required at this desk"), code="required")
        )
    if opened_at > now:
        errors.setdefault("opened_at", []).append(
            ValidationError(_("a case cannot be opened in the future"), code="future")
        )
    topic_objects = topics_by_code(topics, errors)
    raise_if_errors(errors)

    case = numbered_case(
        desk=desk,
        opened_at=opened_at,
        client=client,
        title=title.strip(),
        intake_channel=intake_channel,
        intake_office=intake_office,
        priority=priority,
        confidentiality=confidentiality,
        created_by=by,
    )
    save_tracked(case, by=by, reason=_("intake"), sets={"topics": topic_objects})
    if client is None:
        # Only the dispute desk takes anonymous intakes; they are marked as such from the start.
        save_tracked(SubcontractDetails(case=case, anonymous=True), by=by)
    publish_case_event(case, "opened")
    if lead_counselor is not None:
        case = case_assign(case=case, counselor=lead_counselor, by=by)
    return case


@transaction.atomic
def case_assign(
    *,
    case: Case,
    counselor: User,
    by: User,
    reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Make `counselor` the lead. Coordinators assign; a counselor may take an intake."""
    case = lock_case(case)
    ensure_transition(case, "assign")
    self_assignment = counselor.pk == by.pk and policy.can_self_assign(by, case)
    if not self_assignment:
        policy.require(by, policy.Action.ASSIGN, case)
    ensure_version(case, expected_version)
    roles = policy.desk_roles(counselor).get(case.desk_id, set())
    if not roles & {DeskRole.COUNSELOR, DeskRole.COORDINATOR, DeskRole.EXIT_TEAM}:
        raise ValidationError(
            {
                "counselor": ValidationError(
                    _("%(name)s is not a member of the %(desk)s desk")
                    % {"name": counselor, "desk": case.desk.code},
                    code="not_a_desk_member",
                )
            }
        )
    if case.lead_counselor_id == counselor.pk:
        raise ConflictError(_("%s already leads this case") % counselor, code="already_lead")
    now = timezone.now()
    Assignment.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    Assignment.objects.create(
        case=case, counselor=counselor, assigned_by=by, assigned_at=now, reason=reason
    )
    previous_lead_id = case.lead_counselor_id
    from_status = case.status
    case.lead_counselor = counselor
    if case.status == CaseStatus.INTAKE:
        case.status = CaseStatus.ASSIGNED
    save_tracked(case, by=by, update_fields=["lead_counselor", "status"], reason=reason)
    record_transition(case, action="assign", from_status=from_status, by=by, reason=reason)
    notify = {counselor.pk} | ({previous_lead_id} if previous_lead_id else set())
    publish_case_event(case, "assigned", notify_user_ids=notify)
    return case


@transaction.atomic(savepoint=False)
def case_started(*, case: Case, first_session_at: dt.datetime, by: User) -> Case:
    """The first logged session moves an assigned case to active (called by session_log,
    whose transaction already holds the case's lock: `case` is that locked row, so neither a
    second lock nor a savepoint of its own is needed)."""
    fields = []
    if case.first_session_at is None or first_session_at < case.first_session_at:
        case.first_session_at = first_session_at
        fields.append("first_session_at")
    if case.status == CaseStatus.ASSIGNED:
        case.status = CaseStatus.ACTIVE
        fields.append("status")
        record_transition(case, action="start", from_status=CaseStatus.ASSIGNED, by=by)
    if fields:
        save_tracked(case, by=by, update_fields=fields)
    return case


@transaction.atomic
def case_update(
    *,
    case: Case,
    by: User,
    expected_version: int | None,
    title: str | None = None,
    topics: Iterable[str] | None = None,
    priority: str | None = None,
    confidentiality: str | None = None,
    co_counselors: Iterable[User] | None = None,
) -> Case:
    """Edit a case's details: one history row and one new version, whatever changed.

    Status never changes here: transitions are their own actions.
    """
    case = lock_case(case)
    # The history row records both sets and the answer shows them: read them once, here.
    prefetch_related_objects([case], "topics", in_link_order("co_counselors", Case.co_counselors))
    policy.require(by, policy.Action.EDIT, case)
    ensure_version(case, expected_version)
    errors: dict[str, list[ValidationError]] = {}
    fields: list[str] = []
    if title is not None:
        if not title.strip():
            errors["title"] = [ValidationError(_("a case needs a title"), code="required")]
        case.title = title.strip()
        fields.append("title")
    if priority is not None:
        validate_choices(errors, priority=(priority, Priority))
        case.priority = priority
        fields.append("priority")
    if confidentiality is not None and confidentiality != case.confidentiality:
        validate_choices(errors, confidentiality=(confidentiality, Confidentiality))
        if Confidentiality.RESTRICTED in (confidentiality, case.confidentiality):
            errors.setdefault("confidentiality", []).append(
                ValidationError(
                    _("restricted is set and lifted only by the exit track"),
                    code="restricted_via_exit_track",
                )
            )
        case.confidentiality = confidentiality
        fields.append("confidentiality")
    sets: dict[str, list] = {}
    if topics is not None:
        sets["topics"] = topics_by_code(topics, errors)
    if co_counselors is not None:
        sets["co_counselors"] = named_case_workers(
            co_counselors, "co_counselors", errors, case=case
        )
    if case.status == CaseStatus.CLOSED:
        raise ConflictError(_("a closed case is reopened before it is edited"), code="closed")
    raise_if_errors(errors)
    save_tracked(case, by=by, update_fields=fields, sets=sets)
    if "confidentiality" in fields:
        # The sessions carry a copy (imported here: the session services import these).
        from casebook.intake.services.sessions import sessions_follow_cases

        sessions_follow_cases(cases=[case])
    publish_case_event(case, "updated")
    return case


# --- shares -----------------------------------------------------------------------------------


@transaction.atomic
def case_share_grant(*, case: Case, desk: Desk, source: str) -> None:
    """Share `case`'s file with the members of `desk`, for as long as `source` says so.

    The visibility policy shows a shared case only while it is `normal`; the caller (the
    referral that shares it) decides when the share begins and ends.
    """
    CaseShare.objects.get_or_create(case=case, desk=desk, source=source)


@transaction.atomic
def case_share_revoke(*, source: str) -> None:
    CaseShare.objects.filter(source=source).delete()

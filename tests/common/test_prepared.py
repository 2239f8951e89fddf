"""Statements compiled once (casebook/common/prepared.py): each prepared read (the session row,
the API token and its login, the user row, the memberships, the page's sets) sends the
statement and the parameters the ORM would send, and reads the same rows, for every login of
the cast; an argument the ORM would not pass as itself, as a parameter, is refused."""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import BooleanField, Q, Value
from django.test import Client
from django.utils import timezone

import casebook.urls  # noqa: F401 - every view's module, and so every prepared read
from casebook.accounts import sessions
from casebook.accounts.backends import _user_by_id
from casebook.accounts.models import DeskMembership, User
from casebook.api import selectors as api_selectors
from casebook.api import services as api_services
from casebook.api.models import ApiToken
from casebook.api.pagination import PageStatement
from casebook.api.rows import ListedOne, read_sets
from casebook.attachments import selectors as attachment_selectors
from casebook.attachments.models import Attachment
from casebook.common.lookups import in_ids
from casebook.common.prepared import TEXTS, PreparedRead, Word
from casebook.common.search import stored_grams_hold, stored_values_overlap
from casebook.experts.selectors import dispatches as dispatch_selectors
from casebook.intake import policy, selectors
from casebook.intake.api.views import CASE_LIST_SETS, CASE_SETS, SESSION_SETS
from casebook.intake.models import (
    Case,
    CaseSearchGrams,
    ClientSearchGram,
    IpDetails,
    SubcontractDetails,
    Topic,
)
from casebook.intake.selectors import cases as case_selectors
from casebook.intake.selectors import clients as client_selectors
from casebook.intake.selectors import live, timeline
from casebook.intake.services import cases as case_services
from casebook.notifications import selectors as notification_selectors
from casebook.notifications.models import Notification
from casebook.referrals import selectors as referral_selectors
from tests.accounts.test_session_store import _calls
from tests.factories import CaseFactory, ClientFactory, SessionFactory, api_token, desk
from tests.markers import needs_postgres


def _fresh(queryset) -> tuple[str, list]:
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return sql, list(params)


def _memberships(user_id: int):
    return (
        DeskMembership.objects.filter(user_id=user_id)
        .filter(active=True, desk__active=True)
        .values_list("desk_id", "desk__code", "role")
    )


def test_the_memberships_read_sends_the_orms_statement_and_reads_its_rows_for_every_login(cast):
    for user in vars(cast).values():
        assert policy._active_memberships.sql_with_params(user.pk) == _fresh(_memberships(user.pk))
        assert policy._active_memberships(user.pk) == list(_memberships(user.pk))


def test_a_login_whose_desks_change_gets_its_new_roles_on_the_next_request(cast):
    before = policy.desk_roles(User.objects.get(pk=cast.counselor.pk))
    DeskMembership.objects.create(user=cast.counselor, desk=desk("ip"), role="coordinator")
    DeskMembership.objects.filter(user=cast.counselor, desk=desk("yorozu")).update(active=False)
    after = policy.desk_roles(User.objects.get(pk=cast.counselor.pk))
    assert before == {desk("yorozu").pk: {"counselor"}}
    assert after == {desk("ip").pk: {"coordinator"}}


def test_the_user_read_sends_the_orms_statement_and_builds_the_same_login(cast):
    for user in vars(cast).values():
        fresh = User._default_manager.filter(pk=user.pk)
        assert _user_by_id.sql_with_params(user.pk) == _fresh(fresh)
        (read,) = _user_by_id(user.pk)
        stored = fresh.get()
        assert {f.attname: getattr(read, f.attname) for f in User._meta.concrete_fields} == {
            f.attname: getattr(stored, f.attname) for f in User._meta.concrete_fields
        }
        assert not read._state.adding and read._state.db == stored._state.db
        assert isinstance(read.is_active, bool) and read.date_joined.tzinfo is not None
    assert _user_by_id(10**9) == []


def test_a_pages_sets_send_the_orms_statement_for_any_ids(cast):
    cases = [CaseFactory(lead_counselor=cast.counselor) for _ in range(3)]
    cases[0].co_counselors.add(cast.colleague, cast.coordinator)
    sessions = [SessionFactory(case=cases[1]) for _ in range(2)]
    sessions[0].counselors.add(cast.counselor)
    builds = {
        "topic_list": lambda ids: selectors.case_topic_codes(case_ids=ids),
        "co_counselor_list": lambda ids: selectors.case_co_counselor_ids(case_ids=ids),
    }
    session_builds = {
        "counselor_list": lambda ids: selectors.session_counselor_ids(session_ids=ids),
        "topic_list": lambda ids: selectors.session_topic_codes(session_ids=ids),
    }
    checks = [(listed, builds[listed.to_attr], [c.pk for c in cases]) for listed in CASE_SETS]
    checks += [
        (listed, session_builds[listed.to_attr], [s.pk for s in sessions])
        for listed in SESSION_SETS
    ]
    for listed, build, ids in checks:
        for some in (ids, ids[:1], [*ids, 10**9]):
            statement = listed.pairs.sql_with_params(some)
            if connection.vendor == "postgresql":
                assert statement == _fresh(build(some))
            else:
                assert statement is None  # one placeholder an id: built by the ORM
            assert listed.pairs(some) == list(build(some))
        assert listed.pairs([]) == []


def test_a_cases_assignments_and_status_changes_send_the_orms_union_and_read_its_rows(cast):
    from casebook.intake import services
    from tests.factories import case_in_state

    held = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    services.case_hold(
        case=held,
        by=cast.counselor,
        reason="決算書の提出待ち",
        resume_by=held.opened_at.date() + dt.timedelta(days=30),
    )
    for case_id in (held.pk, 10**9):
        fresh = timeline.lifecycle_rows(case_id)
        assert timeline._lifecycle_rows.sql_with_params(case_id) == _fresh(fresh)
        rows = timeline._lifecycle_rows(case_id)
        assert rows == list(fresh)
        # The times are read as the ORM reads them (SQLite's converters applied).
        assert all(isinstance(row[1], dt.datetime) for row in rows)
    assert {row[0] for row in timeline._lifecycle_rows(held.pk)} == {"assignment", "transition"}


def test_a_cases_newest_files_send_the_orms_statement_and_build_the_same_instances(cast):
    session = SessionFactory()
    case = session.case
    for n, on_session in enumerate((True, False, True)):
        Attachment.objects.create(
            case=case,
            session=session if on_session else None,
            name=f"file{n}.pdf",
            content_type="application/pdf",
            size=100 + n,
            sha256="0" * 64,
            stored_name=f"stored-{n}",
            uploaded_by=cast.counselor,
        )
    for case_id in (case.pk, 10**9):
        fresh = attachment_selectors.newest_of_case(case_id)
        assert attachment_selectors._newest_of_case.sql_with_params(case_id) == _fresh(fresh)
        read = attachment_selectors._newest_of_case(case_id)
        expected = list(fresh)
        assert [a.pk for a in read] == [a.pk for a in expected]
        for mine, theirs in zip(read, expected, strict=True):
            assert vars(mine).keys() == vars(theirs).keys()
            assert mine.uploaded_at == theirs.uploaded_at
            assert mine.uploaded_by == theirs.uploaded_by == cast.counselor
            assert mine.session == theirs.session
            assert mine.visit is theirs.visit is None


def _columns(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def _as_built(instances, *, notes: tuple[str, ...] = ()) -> list:
    """Each instance's columns, notes and joined rows (with their columns)."""
    return [
        (
            _columns(obj),
            [getattr(obj, note) for note in notes],
            {
                name: related and _columns(related)
                for name, related in sorted(obj._state.fields_cache.items())
            },
        )
        for obj in instances
    ]


def test_a_cases_sessions_send_the_timelines_former_statement_and_build_the_same_sessions(cast):
    from django.db.models import Exists, OuterRef

    from casebook.intake.models import ConsultationSession, SessionAmendment
    from tests.factories import OfficeFactory

    case = CaseFactory(lead_counselor=cast.counselor)
    office = OfficeFactory()
    sessions = [
        SessionFactory(
            case=case,
            created_by=cast.counselor if n % 2 else None,
            office=office if n % 3 else None,
            started_at=timezone.now() - dt.timedelta(days=30 - n, minutes=n),
        )
        for n in range(timeline.TIMELINE_PAGE + 3)
    ]
    for amended in (sessions[-1], sessions[0]):
        SessionAmendment.objects.create(
            session=amended, by=cast.counselor, at=timezone.now(), reason="訂正", changes={}
        )
    for case_id in (case.pk, CaseFactory().pk, 10**9):
        for newest, read in timeline._SESSION_READS.items():
            # The read the timeline built per request, before it was compiled once.
            former = ConsultationSession.objects.filter(case_id=case_id).select_related(
                "office", "created_by"
            )
            former = former.annotate(
                amended=Exists(SessionAmendment.objects.filter(session=OuterRef("pk")))
            )
            if newest is not None:
                former = former.order_by("-started_at", "-pk")[:newest]
            assert read.sql_with_params(case_id) == _fresh(former)
            assert _as_built(read(case_id), notes=("amended",)) == _as_built(
                former, notes=("amended",)
            )
    newest = timeline._SESSION_READS[timeline.TIMELINE_PAGE + 1](case.pk)
    assert len(newest) == timeline.TIMELINE_PAGE + 1
    assert [s.amended for s in newest][:1] == [True] and sum(s.amended for s in newest) == 1
    assert sum(s.amended for s in timeline._SESSION_READS[None](case.pk)) == 2


def test_a_cases_history_rows_send_the_orms_statement_and_build_the_same_rows(cast):
    from casebook.intake import services
    from tests.factories import case_in_state

    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    services.case_update(
        case=case,
        by=cast.coordinator,
        expected_version=None,
        topics=list(Topic.objects.values_list("code", flat=True)[:2]),
        co_counselors=[cast.coordinator],
    )
    for case_id in (case.pk, CaseFactory().pk):
        former = (
            Case.objects.get(pk=case_id)
            .history.select_related("history_user")
            .order_by("history_date", "pk")
        )
        assert timeline._history_rows.sql_with_params(case_id) == _fresh(former)
        assert _as_built(timeline._history_rows(case_id)) == _as_built(former)
    assert len(timeline._history_rows(case.pk)) >= 3


def test_a_case_events_co_counselors_and_shares_send_the_orms_union_and_read_its_rows(cast):
    from casebook.intake.models import CaseShare

    case = CaseFactory(lead_counselor=cast.counselor)
    case.co_counselors.add(cast.colleague, cast.coordinator)
    CaseShare.objects.create(case=case, desk=desk("ip"), source="referral")
    for case_id in (case.pk, CaseFactory().pk, 10**9):
        fresh = live.co_counselors_and_shares(case_id)
        assert live._co_counselors_and_shares.sql_with_params(case_id) == _fresh(fresh)
        assert sorted(live._co_counselors_and_shares(case_id)) == sorted(fresh)
    assert sorted(live._co_counselors_and_shares(case.pk)) == sorted(
        [
            (cast.colleague.pk, "counselor"),
            (cast.coordinator.pk, "counselor"),
            (desk("ip").pk, "share"),
        ]
    )


def test_every_prepared_read_of_the_project_is_one_this_module_checks():
    checked = {
        _user_by_id,
        policy._active_memberships,
        sessions._live_session_data,
        api_selectors._live_token,
        timeline._lifecycle_rows,
        attachment_selectors._newest_of_case,
        *(listed.pairs for listed in (*CASE_SETS, *SESSION_SETS) if hasattr(listed, "pairs")),
        *(listed.rows_of for listed in CASE_LIST_SETS if isinstance(listed, ListedOne)),
        client_selectors._client_by_id,
        client_selectors._contacts_by_client,
        case_selectors._co_counseled_ids,
        case_services._LOCK_BY_ID,
        live._co_counselors_and_shares,
        notification_selectors._UNREAD_UP_TO_THE_CAP,
        *case_selectors._WINDOW_BOUNDS.values(),
        timeline._history_rows,
        *timeline._SESSION_READS.values(),
        # The case page's referrals and dispatches: tests/referrals/test_handoff_visibility.py,
        # tests/experts/test_visibility.py.
        referral_selectors._OF_SEEN_CASE,
        *dispatch_selectors.SEEN_CASE_READS.values(),
        # Those built per login's facts (my cases' lists, the client page's cases and
        # outcomes, the grace period alerts): tests/intake/test_pages_prepared.py; a one-gram
        # word's search pages: tests/intake/test_search_prepared.py; the case lock among the
        # cases a login may see: tests/intake/test_case_lock.py.
        *(
            built
            for built in policy._BUILT_FOR_VIEWERS.values()
            if issubclass(type(built), PreparedRead)
        ),
    }
    # `type()`, not `isinstance()`: the heap may hold a weak proxy whose object is gone, and
    # `isinstance` asks the proxy's object for its class. A list's pages are checked in
    # tests/api/test_list_pages_compiled_once.py.
    found = {
        obj
        for obj in gc.get_objects()
        if issubclass(type(obj), PreparedRead) and not issubclass(type(obj), PageStatement)
    }
    assert found - checked == set()


def test_the_search_windows_bounds_send_the_orms_statement_and_read_its_row(db):
    now = timezone.now()
    opened = [now - dt.timedelta(days=days) for days in (30, 20, 10)]
    for at in opened:
        CaseFactory(opened_at=at)
    for size in (1, 3, 4):
        case_selectors.newest_cases(size=size)
        read = case_selectors._WINDOW_BOUNDS[size]
        assert read.sql_with_params() == _fresh(case_selectors._window_bounds(size))
        assert read() == list(case_selectors._window_bounds(size))
    assert case_selectors._WINDOW_BOUNDS[3]() == [{"oldest": opened[0], "newest": opened[2]}]
    assert case_selectors._WINDOW_BOUNDS[4]() == [{"oldest": None, "newest": opened[2]}]


def _unread_up_to_the_cap(recipient_id: int):
    return (
        Notification.objects.filter(Q(recipient_id=recipient_id), read_at__isnull=True)
        .order_by()
        .values_list("pk")[: notification_selectors.UNREAD_COUNT_CAP]
    )


def test_the_unread_badge_sends_the_orms_statement_and_reads_its_rows_for_every_login(cast):
    cap = notification_selectors.UNREAD_COUNT_CAP
    Notification.objects.bulk_create(
        Notification(
            recipient=cast.counselor, kind="updated", subject_type="intake.case", subject_id=1
        )
        for _ in range(cap + 2)
    )
    Notification.objects.create(
        recipient=cast.coordinator,
        kind="updated",
        subject_type="intake.case",
        subject_id=1,
        read_at=timezone.now(),
    )
    read = notification_selectors._UNREAD_UP_TO_THE_CAP
    for user in vars(cast).values():
        assert read.sql_with_params(user.pk) == _fresh(_unread_up_to_the_cap(user.pk))
        assert read(user.pk) == list(_unread_up_to_the_cap(user.pk))
    assert len(read(cast.counselor.pk)) == cap and read(cast.coordinator.pk) == []


def _session_row(key: str, now: dt.datetime):
    return Session.objects.filter(session_key=key, expire_date__gt=now).values_list("session_data")


def test_the_session_read_sends_the_orms_statement_and_reads_its_row_for_every_login(cast):
    now = timezone.now()
    for user in vars(cast).values():
        web = Client()
        web.force_login(user)
        key = web.cookies[settings.SESSION_COOKIE_NAME].value
        for at in (now, now + dt.timedelta(days=365)):
            read = sessions._live_session_data
            assert read.sql_with_params(key, at) == _fresh(_session_row(key, at))
            assert read(key, at) == list(_session_row(key, at))
        assert len(read(key, now)) == 1 and read(key, now + dt.timedelta(days=365)) == []
    assert sessions._live_session_data("no-such-key", now) == []


def _token_row(key_hash: str, now: dt.datetime):
    return ApiToken.objects.select_related("user").filter(
        key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=now, user__is_active=True
    )


def test_the_token_read_sends_the_orms_statement_and_builds_the_token_and_login(cast):
    now = timezone.now()
    for user in vars(cast).values():
        key_hash = api_services.token_hash(api_token(user))
        read = api_selectors._live_token
        assert read.sql_with_params(key_hash, now) == _fresh(_token_row(key_hash, now))
        (token,) = read(key_hash, now)
        (stored,) = _token_row(key_hash, now)
        assert _fields(token) == _fields(stored) and _fields(token.user) == _fields(stored.user)
        # The login in the token's cache, as `select_related` leaves it: no query to reach it.
        assert token._state.fields_cache["user"] is token.user
        assert token.user._state.db == stored.user._state.db and not token.user._state.adding
    assert api_selectors._live_token("0" * 64, now) == []


def test_an_argument_written_into_the_statements_text_is_refused(db):
    literal = PreparedRead(
        Topic, lambda code: Topic.objects.extra(where=[f"code = '{code}'"]), args=(str,)
    )
    with pytest.raises(ImproperlyConfigured):
        literal("x")

    # A boolean compared with a boolean column: PostgreSQL's statement is `WHERE flag` or
    # `WHERE NOT flag` (SQLite's compares it with a parameter).
    def active(flag: bool):
        return User.objects.filter(is_active=flag)

    read = PreparedRead(User, active, args=(bool,))
    if connection.vendor == "postgresql":
        with pytest.raises(ImproperlyConfigured):
            read(True)
    else:
        assert read.sql_with_params(False) == _fresh(active(False))


def test_an_argument_the_orm_changes_before_passing_it_is_refused(db):
    contains = PreparedRead(
        Topic, lambda code: Topic.objects.filter(code__contains=code), args=(str,)
    )
    with pytest.raises(ImproperlyConfigured):
        contains("x")  # passed as `%x%`


def test_a_boolean_argument_is_told_from_a_constant_of_the_same_value(db):
    def build(code: str, flag: bool):
        return Topic.objects.filter(code=code).values_list(
            "code", Value(True), Value(flag, output_field=BooleanField())
        )

    read = PreparedRead(Topic, build, args=(str, bool))
    assert read("succession", False) == [("succession", True, False)]
    for flag in (True, False):
        assert read.sql_with_params("succession", flag) == _fresh(build("succession", flag))
        assert read("succession", flag) == list(build("succession", flag))


def test_a_day_is_a_parameter_and_a_moment_is_not_taken_for_a_day(db):
    def build(code: str, day: dt.date):
        return Topic.objects.filter(code=code).values("code", on=Value(day))

    read = PreparedRead(Topic, build, args=(str, dt.date))
    day = dt.date(2026, 3, 31)
    assert read.sql_with_params("succession", day) == _fresh(build("succession", day))
    assert read("succession", day) == list(build("succession", day))
    with pytest.raises(TypeError):
        read("succession", timezone.now())


def test_a_read_of_values_gives_the_orms_dicts(db):
    def build(code: str):
        return Topic.objects.filter(code=code).values("code", "name")

    read = PreparedRead(Topic, build, args=(str,))
    assert read("succession") == list(build("succession"))
    assert read("succession") and isinstance(read("succession")[0], dict)


def test_a_word_is_a_parameter_of_its_length_passed_as_itself_and_as_its_one_gram(db):
    def build(word: str):
        if connection.vendor != "postgresql":
            return Topic.objects.filter(code=word).values_list("code")
        clients = ClientSearchGram.objects.filter(gram=word).values("client_id")
        # The one-gram array of `stored_grams_hold` (the case search rows exist there only).
        rows = CaseSearchGrams.objects.filter(stored_grams_hold("grams", word))
        return rows.filter(case__client_id__in=clients).values_list("case_id")

    CaseFactory(title="中島工場の相談", client=ClientFactory(name="中島商店"))
    for length, word in ((1, "中"), (2, "ナカ"), (2, "中島")):
        read = PreparedRead(Case, build, args=(Word(length),))
        assert read.sql_with_params(word) == _fresh(build(word))
        assert read(word) == list(build(word))
        with pytest.raises(TypeError):
            read(word * 2)  # a word of another length has another statement
    if connection.vendor == "postgresql":
        assert PreparedRead(Case, build, args=(Word(2),))("中島")


@needs_postgres
@pytest.mark.postgres
def test_texts_are_one_array_parameter(db):
    def build(months: list[str]):
        return CaseSearchGrams.objects.filter(
            stored_values_overlap("opened_month", months)
        ).values_list("case_id")

    case = CaseFactory()
    month = case.opened_at.astimezone(dt.UTC).strftime("%Y-%m")
    read = PreparedRead(CaseSearchGrams, build, args=(TEXTS,))
    assert read.sql_with_params(["2001-01", month]) == _fresh(build(["2001-01", month]))
    assert read(["2001-01", month]) == [(case.pk,)]
    assert read(["2001-01"]) == []
    with pytest.raises(TypeError):
        read([month, 1])


def test_texts_are_read_through_the_orm_where_an_array_is_no_parameter(db):
    read = PreparedRead(Topic, lambda codes: Topic.objects.filter(code__in=codes), args=(TEXTS,))
    if connection.vendor != "postgresql":
        assert read.sql_with_params(["succession"]) is None
        assert read(["succession"]) == list(Topic.objects.filter(code__in=["succession"]))
    else:
        # `__in` writes one placeholder a text: not one parameter of the list.
        with pytest.raises(ImproperlyConfigured):
            read(["succession"])


def test_arguments_of_another_kind_than_declared_are_refused(db):
    now = timezone.now()
    with pytest.raises(TypeError):
        sessions._live_session_data("a-session-key", now.replace(tzinfo=None))  # naive
    with pytest.raises(TypeError):
        _user_by_id(str(1))
    with pytest.raises(TypeError):
        _user_by_id(True)


def test_reading_the_memberships_costs_a_few_hundred_calls_not_a_queryset(cast):
    policy._active_memberships(cast.counselor.pk)  # compiled on the first read
    # Built through the ORM (a related manager, two conditions and a join): about 1,300.
    assert _calls(lambda: policy._active_memberships(cast.counselor.pk)) < 300


def test_a_pages_desk_details_are_the_instances_the_orm_reads(cast):
    ip_case = CaseFactory(desk=desk("ip"), lead_counselor=cast.colleague)
    dispute = CaseFactory(desk=desk("subcontract"), lead_counselor=cast.counselor)
    plain = CaseFactory(lead_counselor=cast.counselor)
    IpDetails.objects.create(
        case=ip_case, invention_disclosed_on=dt.date(2026, 4, 1), rights_sought=["patent"]
    )
    SubcontractDetails.objects.create(case=dispute, law_breach_suspected=True)
    ids = [ip_case.pk, dispute.pk, plain.pk]
    for listed in CASE_LIST_SETS:
        if not isinstance(listed, ListedOne):
            continue
        fresh = listed.model.objects.filter(in_ids("case__id", ids))
        statement = listed.rows_of.sql_with_params(ids)
        if connection.vendor == "postgresql":
            assert statement == _fresh(fresh)
        read, stored = listed.rows_of(ids), list(fresh)
        assert len(read) == len(stored) == 1
        assert _fields(read[0]) == _fields(stored[0])
        assert not read[0]._state.adding
    # A list's rows carry their desk's code: each details set reads its desk's rows.
    codes = ["ip", "subcontract", "yorozu"]
    rows = [{"id": pk, "desk__code": code} for pk, code in zip(ids, codes, strict=True)]
    read_sets(rows, [s for s in CASE_LIST_SETS if isinstance(s, ListedOne)])
    assert rows[0]["ip"].rights_sought == ["patent"] and rows[0]["subcontract"] is None
    assert rows[1]["subcontract"].law_breach_suspected is True and rows[2]["ip"] is None


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}

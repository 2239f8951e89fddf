from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from casebook.common.errors import ActionNotPermitted
from casebook.experts import policy, rules, selectors, services
from tests.factories import CaseFactory, DispatchFactory, ExpertFactory, UserFactory


def test_an_expert_login_sees_only_their_own_dispatches(cast, setting, requested):
    login = UserFactory(username="expert.login")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    others = DispatchFactory(program=setting.program, status="approved")
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    visible = list(selectors.dispatch_list_for_user(user=login))
    assert visible == [requested]
    with pytest.raises(Http404):
        selectors.dispatch_get_for_user(user=login, pk=others.pk)
    assert list(selectors.expert_list_for_user(user=login)) == [setting.expert]


def test_anyone_who_may_not_see_the_dispatch_gets_404(cast, setting, requested):
    with pytest.raises(Http404):
        selectors.dispatch_get_for_user(user=cast.outsider, pk=requested.pk)
    assert selectors.dispatch_get_for_user(user=setting.dispatch_coordinator, pk=requested.pk)


def test_the_programs_desk_sees_a_restricted_cases_request_but_not_its_draft_nor_its_file(
    cast, setting
):
    restricted = CaseFactory(
        status="active", lead_counselor=cast.exit_team, confidentiality="restricted"
    )
    draft = DispatchFactory(program=setting.program, case=restricted, status="draft")
    requested = DispatchFactory(program=setting.program, case=restricted)
    coordinator = setting.dispatch_coordinator

    with pytest.raises(Http404):
        selectors.dispatch_get_for_user(user=coordinator, pk=draft.pk)
    seen = selectors.dispatch_get_for_user(user=coordinator, pk=requested.pk)
    assert not seen.case_visible and not seen.case_named
    assert "open_case" not in policy.offered_actions(coordinator, seen)
    assert {"approve", "reject"} <= policy.offered_actions(coordinator, seen)
    assert [d.pk for d in selectors.pending_requests_for_user(user=coordinator)] == [requested.pk]
    # The exit team, who sees the case, has it named.
    assert selectors.dispatch_get_for_user(user=cast.exit_team, pk=requested.pk).case_named


def test_a_manager_sees_every_dispatch_with_its_case_named_and_the_desk_only_what_its_rule_allows(
    cast, setting
):
    restricted = CaseFactory(
        status="active", lead_counselor=cast.exit_team, confidentiality="restricted"
    )
    draft = DispatchFactory(program=setting.program, case=restricted, status="draft")
    requested = DispatchFactory(program=setting.program, case=restricted)
    plain = DispatchFactory(program=setting.program)

    listed = list(selectors.dispatch_list_for_user(user=cast.manager))
    assert {d.pk for d in listed} >= {draft.pk, requested.pk, plain.pk}
    assert all(d.case_named for d in listed)
    # The program's coordinator: the request but not the draft, the case unnamed.
    coordinator = {
        d.pk: d for d in selectors.dispatch_list_for_user(user=setting.dispatch_coordinator)
    }
    assert draft.pk not in coordinator
    assert not coordinator[requested.pk].case_named
    assert coordinator[plain.pk].case_named


def test_the_programs_coordinator_approves_a_restricted_cases_request_from_the_request(
    cast, setting
):
    restricted = CaseFactory(
        status="active", lead_counselor=cast.exit_team, confidentiality="restricted"
    )
    requested = DispatchFactory(program=setting.program, case=restricted)

    approved = services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)

    assert approved.status == "approved"
    restricted.refresh_from_db()
    assert restricted.status == "dispatch"


def test_the_expert_files_the_visit_report_of_their_own_dispatch_only(cast, setting, requested):
    login = UserFactory(username="expert.own")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    visit = services.visit_schedule(
        dispatch=requested, by=login, date=timezone.localdate(), day_fraction="0.5"
    )
    with pytest.raises(ActionNotPermitted):
        services.visit_file_report(visit=visit, by=cast.counselor, report="報告")
    filed = services.visit_file_report(visit=visit, by=login, report="工程を確認", advice="5S")
    assert filed.report_filed_by == login


def _scheduled_forty_days_ago(setting):
    """A dispatch of the program approved 40 days ago and still scheduled: its visits' reports
    are due."""
    return DispatchFactory(
        program=setting.program,
        expert=ExpertFactory(),
        status="scheduled",
        approved_days=2,
        approved_at=timezone.now() - dt.timedelta(days=40),
    )


def test_late_visit_reports_surface_for_the_programs_desk(cast, setting):
    stale = _scheduled_forty_days_ago(setting)
    old_day = timezone.localdate() - dt.timedelta(days=30)
    recent_day = timezone.localdate() - dt.timedelta(days=1)
    late = stale.visits.create(expert=stale.expert, date=old_day, day_fraction="0.5")
    stale.visits.create(expert=stale.expert, date=recent_day, day_fraction="0.5")
    desk = setting.program.desk
    found = selectors.late_visit_reports_for_desk(user=setting.dispatch_coordinator, desk=desk)
    assert [v.pk for v in found] == [late.pk]
    assert found[0].report_due < timezone.localdate()
    assert selectors.late_visit_reports_for_desk(user=cast.outsider, desk=desk) == []
    late.report = "報告"
    late.report_filed_at = timezone.now()
    late.save()
    assert selectors.late_visit_reports_for_desk(user=setting.dispatch_coordinator, desk=desk) == []


def _case_and_an_experts_login(cast, setting, confidentiality: str):
    """An active case of the exit team's lead, and the login the setting's expert now has."""
    case = CaseFactory(
        status="active", lead_counselor=cast.exit_team, confidentiality=confidentiality
    )
    expert_login = UserFactory(username="expert.login")
    setting.expert.user = expert_login
    setting.expert.save(update_fields=["user"])
    return case, expert_login


@pytest.mark.parametrize("confidentiality", ["normal", "restricted"])
def test_a_cases_dispatches_read_for_its_page_are_those_the_dispatch_list_shows(
    cast, setting, confidentiality
):
    case, expert_login = _case_and_an_experts_login(cast, setting, confidentiality)
    for status in ("draft", "requested", "approved", "rejected"):
        DispatchFactory(program=setting.program, case=case, expert=setting.expert, status=status)
    DispatchFactory(program=setting.program, status="approved")  # another case's
    readers = [*vars(cast).values(), setting.dispatch_coordinator, expert_login]
    for reader in readers:
        narrowed = selectors.dispatches_of_case_for_user(user=reader, case=case)
        general = selectors.dispatch_list_for_user(user=reader).filter(case=case)
        assert [(d.pk, d.case_named) for d in narrowed] == [
            (d.pk, d.case_named) for d in general
        ], reader.username
    # The cast covers both paths: readers who see the file, and some who see only requests.
    seen = [r for r in readers if selectors.dispatches_of_case_for_user(user=r, case=case)]
    assert setting.dispatch_coordinator in seen and cast.outsider not in seen


def test_late_visit_reports_read_under_the_rule_only_when_some_visit_is_late(
    cast, setting, django_assert_num_queries
):
    from casebook.intake import policy as case_policy

    stale = _scheduled_forty_days_ago(setting)
    stale.visits.create(
        expert=stale.expert, date=timezone.localdate() - dt.timedelta(days=1), day_fraction="0.5"
    )
    desk, reader = setting.program.desk, setting.dispatch_coordinator
    case_policy.desk_roles(reader)
    # A visit within its deadline: the visits' dates only, no rule.
    with django_assert_num_queries(1) as read:
        assert selectors.late_visit_reports_for_desk(user=reader, desk=desk) == []
    assert "intake_case" not in read.captured_queries[0]["sql"]
    late = stale.visits.create(
        expert=stale.expert, date=timezone.localdate() - dt.timedelta(days=30), day_fraction="0.5"
    )
    # A late one: then the late ones under the dispatch rule, with what a row shows.
    with django_assert_num_queries(2):
        found = selectors.late_visit_reports_for_desk(user=reader, desk=desk)
    assert [(v.pk, v.report_due) for v in found] == [(late.pk, rules.visit_report_due(late))]
    assert selectors.late_visit_reports_for_desk(user=cast.outsider, desk=desk) == []


def _as_shown(dispatches) -> list:
    """Each dispatch as the case page reads it: its columns, its note, its joined rows (each
    with its columns)."""

    def columns(obj) -> dict:
        return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}

    return [
        (
            columns(dispatch),
            dispatch.case_named,
            {
                name: related and columns(related)
                for name, related in sorted(dispatch._state.fields_cache.items())
            },
        )
        for dispatch in dispatches
    ]


@pytest.mark.parametrize("confidentiality", ["normal", "restricted"])
def test_a_cases_dispatches_shown_on_its_page_by_statements_compiled_once_are_the_orms(
    cast, setting, confidentiality
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casebook.accounts.models import DeskRole, User
    from casebook.experts.selectors import dispatches as dispatch_selectors
    from casebook.intake import policy as case_policy
    from tests.factories import member

    case, expert_login = _case_and_an_experts_login(cast, setting, confidentiality)
    # A desk's login that is also an expert's: it sees the case, and of its dispatches only
    # its own expert's from their approval on.
    both = member("yorozu", DeskRole.EXIT_TEAM, username="both")
    other_expert = ExpertFactory(name="佐藤 花子", user=both)
    for status, expert in (
        ("draft", setting.expert),
        ("requested", setting.expert),
        ("approved", setting.expert),
        ("rejected", setting.expert),
        ("approved", other_expert),
    ):
        DispatchFactory(
            program=setting.program,
            case=case,
            expert=expert,
            status=status,
            decided_by=setting.dispatch_coordinator if status != "draft" else None,
        )
    DispatchFactory(program=setting.program, status="approved")  # another case's
    readers = [*vars(cast).values(), setting.dispatch_coordinator, expert_login, both]
    branches = set()
    for reader in readers:
        # A login not asked yet whether it is an expert's, then one that was.
        for asked in (False, True):
            fresh = User.objects.get(pk=reader.pk)
            if asked:
                policy.expert_of(fresh)
            seen = case_policy.can_see_case(fresh, case)
            if seen:
                branch, who = policy.seen_case_reader(fresh)
                branches.add(branch)
                read = dispatch_selectors.SEEN_CASE_READS[branch]
                args = (case.pk,) if who is None else (case.pk, who)
                expected_sql = dispatch_selectors._shown_with_case(
                    policy.seen_case_dispatches_q(case.pk, branch, who)
                ).query.sql_with_params()
                with CaptureQueriesContext(connection) as sent:
                    read(*args)
                assert read.sql_with_params(*args) == (expected_sql[0], list(expected_sql[1]))
                assert len(sent) == 1
            compiled_once = _as_shown(selectors.dispatches_shown_with_case(user=fresh, case=case))
            built = _as_shown(
                selectors.dispatches_of_case_for_user(user=fresh, case=case)
                .select_related(None)
                .select_related(*selectors.CASE_PAGE_JOINS)
            )
            assert compiled_once == built, (reader.username, asked)
    # Every branch of the narrowed rule was read: a login not asked, an expert's, staff.
    assert branches == {"asked", "expert", "staff"}
    shown_to_both = selectors.dispatches_shown_with_case(
        user=User.objects.get(pk=both.pk), case=case
    )
    assert [(d.expert_id, d.status) for d in shown_to_both] == [(other_expert.pk, "approved")]

"""My cases and the client page read through statements compiled once (per login's facts where
the statement holds the reader's rule; docs/performance.md, "My cases and the client page"):
for every login of the cast each read sends the statement and the parameters the ORM sends
when it builds the read afresh, and reads the same rows; a fact of the login that changes is
another statement; a page past the first few is built through the ORM, as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.accounts.models import DeskMembership
from casebook.intake import policy, selectors, services
from casebook.intake.models import Case, Client, ClientContact, ClientOutcome
from casebook.intake.selectors import cases as case_selectors
from tests.factories import CaseFactory, ClientFactory, UserFactory, desk


def _sent(read):
    """What `read()` sends (each statement with its parameters, as the database received
    them) and what it gives."""
    with CaptureQueriesContext(connection) as captured:
        answer = read()
    return [query["sql"] for query in captured.captured_queries], answer


def _rows(page) -> list:
    return [dict(row) if isinstance(row, dict) else row for row in page]


@pytest.fixture
def my_work(cast) -> list[Case]:
    """Open cases of the counselor and of the coordinator: led, co-counselled, a follow-up
    due, held with a resume-by date due, at two desks; and one closed."""
    today = timezone.localdate()
    other = UserFactory(username="other_lead")
    made = []
    for n in range(14):
        lead = (cast.counselor, cast.coordinator, other)[n % 3]
        held = n % 4 == 0
        case = CaseFactory(
            desk=desk("yorozu" if n % 5 else "ip"),
            status="on_hold" if held else ("active", "assigned", "intake")[n % 3],
            priority=("high", "normal", "low")[n % 3],
            lead_counselor=lead,
            next_follow_up=today - dt.timedelta(days=n % 3) if n % 2 else None,
            resume_by=today + dt.timedelta(days=n % 6) if held else None,
            hold_reason="決算書の提出待ち" if held else "",
        )
        if n % 3 == 2:
            case.co_counselors.add(cast.counselor)
        made.append(case)
    made.append(
        CaseFactory(
            status="closed",
            closure_reason="resolved",
            closure_summary="解決",
            lead_counselor=cast.counselor,
        )
    )
    return made


MY_LISTS = (
    selectors.my_open_cases_page,
    selectors.overdue_follow_ups,
    selectors.holds_due,
)


def test_my_cases_lists_send_the_orms_statements_and_read_its_rows_for_every_login(
    cast, my_work, monkeypatch
):
    def compare(user, listed, number: int) -> None:
        mine = selectors.my_open_cases(user=user)
        prepared = _sent(lambda: listed(cases=mine, number=number, size=2))
        with monkeypatch.context() as built_afresh:
            built_afresh.setattr(case_selectors, "PREPARED_PAGES", 0)
            fresh = _sent(lambda: listed(cases=mine, number=number, size=2))
        assert prepared[0] == fresh[0]
        assert _rows(prepared[1]) == _rows(fresh[1])
        assert prepared[1].has_next == fresh[1].has_next

    for user in vars(cast).values():
        for listed in MY_LISTS:
            for number in (1, 2, 3):
                compare(user, listed, number)
    mine = selectors.my_open_cases(user=cast.counselor)
    assert mine.co_counseled
    # Five led, four co-counselled, at either desk.
    assert len(selectors.my_open_cases_page(cases=mine, size=100)) == 9


def test_a_counselor_who_comes_to_co_counsel_a_case_finds_it_on_the_next_read(cast, my_work):
    newcomer = UserFactory(username="newcomer")
    DeskMembership.objects.create(user=newcomer, desk=desk("yorozu"), role="counselor")
    assert list(selectors.my_open_cases_page(cases=selectors.my_open_cases(user=newcomer))) == []
    my_work[1].co_counselors.add(newcomer)
    listed = selectors.my_open_cases_page(cases=selectors.my_open_cases(user=newcomer))
    assert [row["id"] for row in listed] == [my_work[1].pk]


def test_walking_past_the_first_pages_keeps_no_statement_for_them(cast, my_work):
    mine = selectors.my_open_cases(user=cast.counselor)
    for listed in MY_LISTS:
        listed(cases=mine, number=1, size=1)
    kept = len(policy._BUILT_FOR_VIEWERS)
    for number in range(case_selectors.PREPARED_PAGES + 1, case_selectors.PREPARED_PAGES + 9):
        for listed in MY_LISTS:
            page = listed(cases=mine, number=number, size=1)
            assert page.number == number
    assert len(policy._BUILT_FOR_VIEWERS) == kept


def test_the_grace_period_alerts_send_the_orms_statement_for_every_login(cast):
    ip_case = CaseFactory(desk=desk("ip"), status="active", lead_counselor=cast.colleague)
    services.ip_details_update(
        case=ip_case,
        by=cast.colleague,
        invention_disclosed_on=timezone.localdate() - dt.timedelta(days=355),
    )
    today = timezone.localdate()

    def compare(user) -> None:
        policy.desk_roles(user)  # the login's memberships, read once per user object
        sent, alerts = _sent(lambda: selectors.ip_grace_period_alerts(user=user))
        fresh = (
            policy.cases_visible_to(user)
            .filter(
                ip__invention_disclosed_on__range=(
                    today - dt.timedelta(days=367),
                    today - dt.timedelta(days=364 - 60),
                )
            )
            .exclude(status="closed")
            .select_related("ip")
        )
        expected, cases = _sent(lambda: list(fresh))
        assert sent == expected
        assert [alert.case.pk for alert in alerts] == [case.pk for case in cases]
        for alert, case in zip(alerts, cases, strict=True):
            assert alert.case.ip.invention_disclosed_on == case.ip.invention_disclosed_on
            assert alert.case.title == case.title

    for user in vars(cast).values():
        compare(user)
    assert [a.case.pk for a in selectors.ip_grace_period_alerts(user=cast.colleague)] == [
        ip_case.pk
    ]
    assert selectors.ip_grace_period_alerts(user=cast.counselor) == []


@pytest.fixture
def company(cast) -> Client:
    """A client with cases at two desks (one restricted), outcomes tied to them and to none,
    and three contacts."""
    company = ClientFactory(name="株式会社中島製作所")
    opened = timezone.now()
    for n in range(7):
        CaseFactory(
            client=company,
            desk=desk("yorozu" if n % 3 else "ip"),
            confidentiality="restricted" if n == 4 else "normal",
            lead_counselor=cast.counselor if n % 2 else cast.colleague,
            opened_at=opened - dt.timedelta(days=n // 2),
        )
    for n, case in enumerate([None, *Case.objects.filter(client=company).order_by("pk")]):
        ClientOutcome.objects.create(
            client=company, case=case, reported_on=dt.date(2024, 3, 31) + dt.timedelta(days=n)
        )
    for name, primary in (("中島 一郎", False), ("中島 花子", True), ("佐藤 健", False)):
        ClientContact.objects.create(client=company, name=name, is_primary=primary)
    return company


def test_the_client_pages_reads_send_the_orms_statements_and_read_its_rows_for_every_login(
    cast, company, monkeypatch
):
    def compare_cases(user, number: int) -> None:
        def read():
            return selectors.client_case_rows_page(user=user, client=company, number=number, size=3)

        prepared = _sent(read)
        with monkeypatch.context() as built_afresh:
            built_afresh.setattr(case_selectors, "PREPARED_CLIENT_PAGES", 0)
            fresh = _sent(read)
        assert prepared[0] == fresh[0]
        assert _rows(prepared[1]) == _rows(fresh[1])
        assert prepared[1].has_next == fresh[1].has_next

    def compare_outcomes_and_contacts(user) -> None:
        sent, outcomes = _sent(
            lambda: selectors.client_outcome_list_for_user(user=user, client=company)
        )
        expected, fresh_outcomes = _sent(
            lambda: list(selectors.client_outcomes_for_user(user=user, client=company))
        )
        assert sent == expected
        assert [(o.pk, o.case.number if o.case else None) for o in outcomes] == [
            (o.pk, o.case.number if o.case else None) for o in fresh_outcomes
        ]
        sent, contacts = _sent(lambda: selectors.contact_rows_for_user(user=user, client=company))
        expected, fresh_contacts = _sent(
            lambda: list(selectors.contact_list_for_user(user=user, client=company))
        )
        assert sent == expected
        assert [c.name for c in contacts] == [c.name for c in fresh_contacts]

    for user in vars(cast).values():
        policy.desk_roles(user)  # the login's memberships, read once per user object
        for number in (1, 2, 3):
            compare_cases(user, number)
        compare_outcomes_and_contacts(user)
    primary = selectors.contact_rows_for_user(user=cast.counselor, client=company)[0]
    assert primary.name == "中島 花子"
    assert selectors.contact_rows_for_user(user=cast.outsider, client=company) == []


def test_the_client_is_read_as_get_reads_it_and_is_404_where_get_would_be(cast, company):
    policy.desk_roles(cast.counselor)  # the login's memberships, read once per user object
    sent, found = _sent(lambda: selectors.client_get_for_user(user=cast.counselor, pk=company.pk))
    expected, stored = _sent(lambda: Client.objects.get(pk=company.pk))
    assert sent == expected
    assert {f.attname: getattr(found, f.attname) for f in Client._meta.concrete_fields} == {
        f.attname: getattr(stored, f.attname) for f in Client._meta.concrete_fields
    }
    for user, pk in (
        (cast.counselor, 10**9),
        (cast.counselor, 0),
        (cast.counselor, 10**20),  # past a 64-bit column: SQLite refuses it as a parameter
        (cast.counselor, "not a number"),
        (cast.counselor, None),
        (cast.outsider, company.pk),
    ):
        with pytest.raises(Http404):
            selectors.client_get_for_user(user=user, pk=pk)
    # A text id, as a form may hold it, is read as the ORM reads it.
    assert selectors.client_get_for_user(user=cast.manager, pk=str(company.pk)) == company


def test_a_login_given_another_desk_sees_that_desks_cases_on_its_next_client_page(cast, company):
    def listed():
        return {row["id"] for row in selectors.client_case_rows_page(user=user, client=company)}

    user = type(cast.counselor).objects.get(pk=cast.counselor.pk)
    before = listed()
    DeskMembership.objects.create(user=cast.counselor, desk=desk("ip"), role="counselor")
    user = type(cast.counselor).objects.get(pk=cast.counselor.pk)
    after = listed()
    # The IP desk's cases of the client that the counselor neither leads nor co-counsels.
    ip_cases = set(
        Case.objects.filter(client=company, desk__code="ip", confidentiality="normal")
        .exclude(lead_counselor=cast.counselor)
        .values_list("pk", flat=True)
    )
    assert ip_cases and not ip_cases & before
    assert after == before | ip_cases

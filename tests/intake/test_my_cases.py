"""My cases' lists are read in two parts (the cases I lead, the cases I co-counsel), each cut at
the page's end and merged: every page holds the rows, in the order, that one ordered list of
both parts held, ties in priority, date and follow-up date included."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from casebook.intake import policy, selectors
from casebook.intake.models import PRIORITY_RANK, Case
from casebook.intake.selectors.cases import MY_CASES_ORDER
from tests.factories import CaseFactory, UserFactory, desk

RANK = {"high": 0, "normal": 1, "low": 2}
OPEN = ("intake", "assigned", "active", "dispatch", "on_hold")


@pytest.fixture
def mixed_cases(cast) -> list[Case]:
    """The counselor's open cases: led and co-counselled, every priority, three opening
    moments shared by several cases each, follow-up dates shared by several, created in a
    shuffled order so that the ids do not follow the list's order; and cases that are not the
    counselor's, or not open."""
    now = timezone.now().replace(microsecond=0)
    moments = [now - dt.timedelta(days=days) for days in (30, 10, 2)]
    today = timezone.localdate()
    follow_ups = [today - dt.timedelta(days=5), today, today + dt.timedelta(days=3), None]
    specs = []
    for priority in RANK:
        for moment in moments:
            for copy in range(3):
                specs.append(("led", priority, moment, copy))
            specs.append(("co", priority, moment, 0))
            specs.append(("co", priority, moment, 1))
    specs.append(("both", "normal", moments[1], 0))
    specs.append(("others", "high", moments[0], 0))
    specs.append(("closed led", "high", moments[0], 0))
    specs.append(("closed co", "high", moments[0], 0))
    random.Random(14).shuffle(specs)
    other_lead = UserFactory(username="other_lead")
    cases = []
    for n, (kind, priority, moment, copy) in enumerate(specs):
        closed = kind.startswith("closed")
        case = CaseFactory(
            desk=desk("yorozu" if n % 3 else "ip"),
            status="closed" if closed else OPEN[n % len(OPEN)],
            closure_reason="resolved" if closed else "",
            closure_summary="解決" if closed else "",
            priority=priority,
            opened_at=moment,
            lead_counselor=cast.counselor if kind in ("led", "both", "closed led") else other_lead,
            next_follow_up=follow_ups[(n + copy) % len(follow_ups)],
        )
        if kind in ("co", "both", "closed co"):
            case.co_counselors.add(cast.counselor)
        cases.append(case)
    return cases


def expected_ids(cases: list[Case], counselor, key) -> list[int]:
    mine = [
        case
        for case in cases
        if case.status in OPEN
        and (
            case.lead_counselor_id == counselor.pk
            or case.co_counselors.filter(pk=counselor.pk).exists()
        )
    ]
    return [case.pk for case in sorted(mine, key=key)]


def pages(read, size: int) -> list[list[int]]:
    """Every page of a list, read as a screen reads it, until the page that has no next."""
    found, number = [], 1
    while True:
        page = read(number=number, size=size)
        assert page.number == number
        found.append([row["id"] for row in page])
        if not page.has_next:
            return found
        number += 1


@pytest.mark.parametrize("size", [4, 7, 50])
def test_each_page_of_my_cases_holds_the_rows_of_one_list_ordered_by_priority_date_and_id(
    cast, mixed_cases, size
):
    expected = expected_ids(
        mixed_cases, cast.counselor, key=lambda case: (RANK[case.priority], case.opened_at, case.pk)
    )
    mine = selectors.my_open_cases(user=cast.counselor)
    found = pages(lambda **page: selectors.my_open_cases_page(cases=mine, **page), size)
    assert found == [expected[at : at + size] for at in range(0, len(expected), size)]
    # The same rows as the former read: both parts in one filter, ordered.
    former = (
        policy.cases_visible_to(cast.counselor)
        .filter(
            Q(lead_counselor_id=cast.counselor.pk) | Q(pk__in=mine.co_counseled),
            status__in=OPEN,
        )
        .annotate(priority_rank=PRIORITY_RANK)
        .order_by("priority_rank", "opened_at", "id")
    )
    assert list(former.values_list("id", flat=True)) == expected


@pytest.mark.parametrize("size", [3, 5, 50])
def test_each_page_of_the_follow_ups_due_holds_the_rows_of_one_list_ordered_by_date_and_id(
    cast, mixed_cases, size
):
    today = timezone.localdate()
    due = [case for case in mixed_cases if case.next_follow_up and case.next_follow_up <= today]
    expected = expected_ids(due, cast.counselor, key=lambda case: (case.next_follow_up, case.pk))
    assert len(expected) > 2 * size or size == 50
    mine = selectors.my_open_cases(user=cast.counselor)
    found = pages(lambda **page: selectors.overdue_follow_ups(cases=mine, **page), size)
    assert found == [expected[at : at + size] for at in range(0, len(expected), size)]


@pytest.mark.parametrize("size", [2, 50])
def test_each_page_of_the_holds_due_holds_the_rows_of_one_list_ordered_by_date_and_id(
    cast, mixed_cases, size
):
    today = timezone.localdate()
    resume_dates = [today - dt.timedelta(days=4), today + dt.timedelta(days=6)]
    held = [case for case in mixed_cases if case.status == "on_hold"]
    for n, case in enumerate(held):
        # A date beyond the week, every fifth: held, but not due.
        case.resume_by = resume_dates[n % 2] if n % 5 else today + dt.timedelta(days=30)
        case.save(update_fields=["resume_by"])
    due = [case for case in held if case.resume_by and case.resume_by <= today + dt.timedelta(7)]
    expected = expected_ids(due, cast.counselor, key=lambda case: (case.resume_by, case.pk))
    assert len(expected) > 2 * size or size == 50
    mine = selectors.my_open_cases(user=cast.counselor)
    found = pages(lambda **page: selectors.holds_due(cases=mine, **page), size)
    assert found == [expected[at : at + size] for at in range(0, len(expected), size)]


def test_a_case_i_lead_and_co_counsel_is_listed_once(cast, mixed_cases):
    both = next(
        case
        for case in mixed_cases
        if case.lead_counselor_id == cast.counselor.pk
        and case.co_counselors.filter(pk=cast.counselor.pk).exists()
    )
    mine = selectors.my_open_cases(user=cast.counselor)
    listed = [row["id"] for row in selectors.my_open_cases_page(cases=mine, size=500)]
    assert listed.count(both.pk) == 1
    assert len(listed) == len(set(listed))


def test_a_page_past_the_last_is_empty_and_has_no_next(cast, mixed_cases):
    mine = selectors.my_open_cases(user=cast.counselor)
    page = selectors.my_open_cases_page(cases=mine, number=40, size=10)
    assert list(page) == []
    assert not page.has_next
    assert page.has_previous


def test_a_counselor_who_co_counsels_nothing_has_the_cases_they_lead_in_order(cast):
    moment = timezone.now()
    led = [
        CaseFactory(
            status="active", priority=priority, opened_at=moment, lead_counselor=cast.counselor
        )
        for priority in ("low", "high", "normal", "high")
    ]
    mine = selectors.my_open_cases(user=cast.counselor)
    listed = [row["id"] for row in selectors.my_open_cases_page(cases=mine)]
    assert listed == [led[1].pk, led[3].pk, led[2].pk, led[0].pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_cases_i_lead_are_read_in_the_lists_order_from_the_index_without_a_sort(cast):
    """The list's rank and the index's are one expression: PostgreSQL matches them, so the
    led part is an index scan in order, stopped at the page's end (docs/performance.md, "The
    stress shape")."""
    for priority in ("low", "high", "normal"):
        CaseFactory(status="active", priority=priority, lead_counselor=cast.counselor)
    mine = selectors.my_open_cases(user=cast.counselor)
    led = mine.parts[0].order_by(*MY_CASES_ORDER)[:51]
    with connection.cursor() as cursor:
        # A table of a few rows would be read whole, or through another index and sorted, at
        # about the same cost: the plan is asked for as on a large one, where only an index in
        # the list's order avoids sorting every led case. Sorting is made costly, not
        # impossible: an index whose expression did not match the list's would still be sorted.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        plan = led.explain()
    assert "case_open_by_lead_rank" in plan
    assert "Sort" not in plan

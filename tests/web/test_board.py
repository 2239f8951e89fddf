from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.intake.models import Case
from tests.factories import case_in_state, open_backlog
from tests.web.conftest import login


def test_a_coordinator_sees_the_queue_with_its_age_and_an_assign_form(cast, client):
    queued = case_in_state("intake", lead=cast.counselor, by=cast.coordinator)
    Case.objects.filter(pk=queued.pk).update(opened_at=timezone.now() - dt.timedelta(days=4))
    page = login(client, cast.coordinator).get("/desks/yorozu/board/").content.decode()
    queue = page[page.index('id="col-intake"') : page.index('id="col-assigned"')]
    assert queued.number in queue
    assert "4" in queue[queue.index('class="age waiting"') :][:80]
    assert f'action="/cases/{queued.pk}/assign/"' in queue
    assert f'<label class="visually-hidden" for="assign-{queued.pk}">' in queue


def test_every_assign_form_on_the_board_lists_the_desks_case_workers(cast, client):
    queued = [case_in_state("intake", lead=None, by=cast.coordinator) for _ in range(2)]
    page = login(client, cast.coordinator).get("/desks/yorozu/board/").content.decode()
    for case in queued:
        select = page[page.index(f'<select id="assign-{case.pk}"') :]
        select = select[: select.index("</select>")]
        assert f'<option value="{cast.counselor.pk}">{cast.counselor}</option>' in select
        assert f'<option value="{cast.coordinator.pk}">{cast.coordinator}</option>' in select
    assert 'name="next" value="/desks/yorozu/board/"' in page


def test_the_board_is_a_container_the_live_part_can_refill(cast, client):
    page = login(client, cast.counselor).get("/desks/yorozu/board/").content.decode()
    assert '<div id="board" data-desk="yorozu"' in page
    assert 'data-columns-url="/desks/yorozu/board/columns/"' in page


def test_the_columns_partial_renders_only_the_columns(cast, client, active_case):
    response = login(client, cast.counselor).get("/desks/yorozu/board/columns/")
    page = response.content.decode()
    assert response.status_code == 200
    assert active_case.number in page
    assert "<html" not in page and 'id="board"' not in page


def test_a_counselor_may_take_an_intake_but_not_assign_others(cast, client, intake_case):
    page = login(client, cast.counselor).get("/desks/yorozu/board/").content.decode()
    assert 'name="take"' in page
    assert f'id="assign-{intake_case.pk}"' not in page


def test_assigning_from_the_board_goes_back_to_the_board(cast, client, intake_case):
    response = login(client, cast.coordinator).post(
        f"/cases/{intake_case.pk}/assign/",
        {"assign-counselor": cast.counselor.pk, "next": "/desks/yorozu/board/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/desks/yorozu/board/"
    intake_case.refresh_from_db()
    assert intake_case.status == "assigned" and intake_case.lead_counselor == cast.counselor


def test_a_counselor_takes_an_intake_from_the_board(cast, client, intake_case):
    response = login(client, cast.counselor).post(
        f"/cases/{intake_case.pk}/assign/", {"take": "1", "next": "/desks/yorozu/board/"}
    )
    assert response.status_code == 302
    intake_case.refresh_from_db()
    assert intake_case.lead_counselor == cast.counselor


def test_an_overdue_hold_is_flagged_on_the_board(cast, client):
    held = case_in_state("on_hold", lead=cast.counselor, by=cast.coordinator)
    Case.objects.filter(pk=held.pk).update(resume_by=timezone.localdate() - dt.timedelta(days=2))
    page = login(client, cast.coordinator).get("/desks/yorozu/board/").content.decode()
    hold_column = page[page.index('id="col-on_hold"') :]
    card = hold_column[hold_column.index(f'data-case="{held.pk}"') - 60 :]
    assert "board-card overdue" in card[:120]


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_a_board_of_a_desk_the_user_is_not_in_answers_404(cast, client, who):
    response = login(client, getattr(cast, who)).get("/desks/yorozu/board/")
    assert response.status_code == 404
    assert login(client, getattr(cast, who)).get("/desks/yorozu/board/columns/").status_code == 404


def test_an_unknown_desk_answers_404(cast, client):
    assert login(client, cast.manager).get("/desks/nowhere/board/").status_code == 404


@pytest.mark.parametrize("who", ["manager", "auditor", "exit_team", "coordinator", "counselor"])
def test_staff_of_the_desk_and_organisation_roles_see_the_board(cast, client, who):
    assert login(client, getattr(cast, who)).get("/desks/yorozu/board/").status_code == 200


def test_the_auditor_gets_no_assign_buttons(cast, client, intake_case):
    page = login(client, cast.auditor).get("/desks/yorozu/board/").content.decode()
    assert intake_case.number in page
    assert f"/cases/{intake_case.pk}/assign/" not in page


def test_a_restricted_case_never_shows_on_a_plain_desk_members_board(cast, client, restricted_case):
    page = login(client, cast.counselor).get("/desks/yorozu/board/").content.decode()
    assert restricted_case.number not in page
    page = login(client, cast.exit_team).get("/desks/yorozu/board/").content.decode()
    assert restricted_case.number in page


def test_a_case_of_another_desk_is_not_on_the_board(cast, client):
    ip_case = case_in_state(
        "intake", lead=cast.colleague, by=cast.manager, desk_code="ip", title="特許の相談"
    )
    page = login(client, cast.manager).get("/desks/yorozu/board/").content.decode()
    assert ip_case.number not in page


# --- bounded columns (docs/performance.md, "The desk board") ---------------------------------


def _column(page: str, status: str) -> str:
    start = page.index(f'id="col-{status}"')
    return page[start : page.index("</section>", start)]


def test_each_column_shows_its_count_and_only_the_first_cards(cast, client, settings):
    settings.CASEBOOK_BOARD_COLUMN_SIZE = 4
    backlog = open_backlog(7, lead=cast.counselor)
    page = login(client, cast.coordinator).get("/desks/yorozu/board/").content.decode()
    for status in ("intake", "assigned", "active", "dispatch", "on_hold"):
        column = _column(page, status)
        assert '<span class="count">7</span>' in column
        assert column.count('class="board-card') == 4
        oldest = [case for case in backlog if case.status == status][:4]
        assert [f'data-case="{case.pk}"' in column for case in oldest] == [True] * 4
        assert "/desks/yorozu/board/more/?status=" + status in column


def test_more_loads_the_next_cards_of_a_column_and_ends_without_a_control(cast, client, settings):
    settings.CASEBOOK_BOARD_COLUMN_SIZE = 4
    queue = [case for case in open_backlog(7, lead=cast.counselor) if case.status == "intake"]
    web = login(client, cast.coordinator)
    response = web.get("/desks/yorozu/board/more/", {"status": "intake", "after": queue[3].pk})
    cards = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in cards
    assert [f'data-case="{case.pk}"' in cards for case in queue] == [False] * 4 + [True] * 3
    # The queue's cards keep their buttons: the coordinator assigns from the loaded cards too.
    assert f'id="assign-{queue[4].pk}"' in cards
    assert "board/more/" not in cards


def test_more_ends_with_a_control_while_cards_follow(cast, client, settings):
    settings.CASEBOOK_BOARD_COLUMN_SIZE = 2
    active = [case for case in open_backlog(5, lead=cast.counselor) if case.status == "active"]
    cards = (
        login(client, cast.counselor)
        .get("/desks/yorozu/board/more/", {"status": "active", "after": active[1].pk})
        .content.decode()
    )
    assert cards.count('class="board-card') == 2
    assert f"status=active&amp;after={active[3].pk}" in cards


@pytest.mark.parametrize(
    "query", [{"status": "closed", "after": "1"}, {"status": "intake", "after": "x"}, {}]
)
def test_more_of_no_open_column_or_no_card_answers_404(cast, client, query):
    response = login(client, cast.coordinator).get("/desks/yorozu/board/more/", query)
    assert response.status_code == 404


def test_more_leaves_out_the_cases_the_user_may_not_see(cast, client, restricted_case, settings):
    settings.CASEBOOK_BOARD_COLUMN_SIZE = 1
    first = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    Case.objects.filter(pk=first.pk).update(opened_at=timezone.now() - dt.timedelta(days=400))
    query = {"status": restricted_case.status, "after": first.pk}
    cards = login(client, cast.counselor).get("/desks/yorozu/board/more/", query).content.decode()
    assert restricted_case.number not in cards
    cards = login(client, cast.exit_team).get("/desks/yorozu/board/more/", query).content.decode()
    assert restricted_case.number in cards


def test_more_of_a_desk_the_user_is_not_in_answers_404(cast, client, active_case):
    query = {"status": "active", "after": active_case.pk}
    assert login(client, cast.colleague).get("/desks/yorozu/board/more/", query).status_code == 404


def test_a_date_of_today_is_not_overdue_on_the_board_and_yesterdays_is(cast, client):
    today = timezone.localdate()
    due_today = case_in_state("on_hold", lead=cast.counselor, by=cast.coordinator)
    due_yesterday = case_in_state("on_hold", lead=cast.counselor, by=cast.coordinator)
    Case.objects.filter(pk=due_today.pk).update(resume_by=today)
    Case.objects.filter(pk=due_yesterday.pk).update(resume_by=today - dt.timedelta(days=1))
    page = login(client, cast.coordinator).get("/desks/yorozu/board/").content.decode()
    assert f'<li class="board-card" data-case="{due_today.pk}">' in page
    assert f'<li class="board-card overdue" data-case="{due_yesterday.pk}">' in page

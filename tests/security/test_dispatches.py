"""Findings 3, 4 and 12 (docs/security.md): conflict messages name only what the reader may
see, experts see a dispatch once it is approved, a request never outlives a racing close."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.http import Http404

from casebook.common.errors import ConflictError, TransitionNotAllowed
from casebook.experts import selectors, services
from casebook.experts.models import Dispatch
from casebook.intake import services as case_services
from tests.factories import (
    CaseFactory,
    ClientFactory,
    DispatchFactory,
    ExpertFactory,
    UserFactory,
    desk,
)
from tests.markers import needs_postgres


def _attorney_engaged_elsewhere(setting, lead):
    attorney = ExpertFactory(name="弁理 花子", qualifications=["patent_attorney"])
    rival_client = ClientFactory(name="株式会社秘密の依頼人")
    other = DispatchFactory(
        expert=attorney,
        program=setting.program,
        status="approved",
        approved_days=1,
        competitors=["株式会社ライバル"],
        case=CaseFactory(
            desk=desk("ip"),
            status="dispatch",
            lead_counselor=lead,
            client=rival_client,
            confidentiality="confidential",
        ),
    )
    return attorney, other


def _request_attorney(cast, setting, attorney) -> None:
    services.dispatch_request(
        case=setting.case,
        program=setting.program,
        expert=attorney,
        purpose="特許出願の支援",
        requested_days="1",
        competitors=["株式会社ライバル"],
        by=cast.counselor,
        submit=True,
    )


def test_a_conflict_with_a_dispatch_the_requester_may_not_see_names_no_client(cast, setting):
    attorney, other = _attorney_engaged_elsewhere(setting, cast.colleague)
    with pytest.raises(ConflictError) as error:
        _request_attorney(cast, setting, attorney)
    assert error.value.code == "conflict_of_interest"
    assert "株式会社秘密の依頼人" not in error.value.message
    assert f"#{other.pk}" not in error.value.message
    assert "another engagement" in error.value.message or "別の" in error.value.message


def test_a_conflict_with_a_dispatch_the_reader_may_see_names_it(cast, setting):
    attorney, other = _attorney_engaged_elsewhere(setting, cast.counselor)
    with pytest.raises(ConflictError) as error:
        _request_attorney(cast, setting, attorney)
    assert "株式会社秘密の依頼人" in error.value.message and f"#{other.pk}" in error.value.message


@pytest.mark.parametrize("state", ["draft", "requested", "rejected", "cancelled"])
def test_an_expert_does_not_see_a_dispatch_before_its_approval(cast, setting, state):
    login = UserFactory(username="expert.login")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    pending = DispatchFactory(program=setting.program, expert=setting.expert, status=state)
    assert list(selectors.dispatch_list_for_user(user=login)) == []
    with pytest.raises(Http404):
        selectors.dispatch_get_for_user(user=login, pk=pending.pk)


def test_an_expert_sees_the_dispatch_once_approved_on_every_path(
    cast, setting, requested, client, api_as
):
    login = UserFactory(username="expert.login")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    client.force_login(login)
    assert client.get(f"/dispatch/dispatches/{requested.pk}/").status_code == 404
    assert api_as(login).get(f"/api/v1/dispatches/{requested.pk}/").status_code == 404
    assert requested.case.client.name not in client.get("/dispatch/dispatches/").content.decode()
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    assert client.get(f"/dispatch/dispatches/{requested.pk}/").status_code == 200
    assert api_as(login).get(f"/api/v1/dispatches/{requested.pk}/").status_code == 200


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dispatch_request_racing_a_close_leaves_no_open_draft_on_a_closed_case(cast, setting):
    case = setting.case
    closed = threading.Event()
    outcome: list[str] = []

    def close() -> None:
        try:
            with transaction.atomic():
                case_services.case_close(
                    case=case, by=cast.counselor, reason="resolved", summary="解決した"
                )
                closed.set()
                # Hold the case row a while: the request must wait for it.
                time.sleep(0.5)
        finally:
            connection.close()

    def request() -> None:
        closed.wait(5)
        try:
            services.dispatch_request(
                case=case,
                program=setting.program,
                expert=setting.expert,
                purpose="工程改善の指導",
                requested_days="1",
                by=cast.counselor,
            )
            outcome.append("drafted")
        except TransitionNotAllowed:
            outcome.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=close), threading.Thread(target=request)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcome == ["refused"]
    assert not Dispatch.objects.filter(case=case).exists()


RIVAL = "株式会社ライバル工業"


@pytest.fixture
def approved_with_rivals(cast, setting) -> Dispatch:
    dispatch = services.dispatch_request(
        case=setting.case,
        program=setting.program,
        expert=setting.expert,
        purpose="工程改善の指導",
        requested_days="1",
        competitors=[RIVAL],
        by=cast.counselor,
        submit=True,
    )
    return services.dispatch_approve(dispatch=dispatch, by=setting.dispatch_coordinator)


def _reads(user, dispatch, client, api_as) -> tuple[str, object]:
    client.force_login(user)
    page = client.get(f"/dispatch/dispatches/{dispatch.pk}/")
    assert page.status_code == 200
    answer = api_as(user).get(f"/api/v1/dispatches/{dispatch.pk}/")
    assert answer.status_code == 200
    listed = api_as(user).get("/api/v1/dispatches/").json()["results"]
    assert [row["competitors"] for row in listed if row["id"] == dispatch.pk] == [
        answer.json()["competitors"]
    ]
    return page.content.decode(), answer.json()["competitors"]


def test_an_approved_dispatch_does_not_show_the_declared_competitors_to_the_expert(
    setting, approved_with_rivals, client, api_as
):
    login = UserFactory(username="expert.login")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    page, competitors = _reads(login, approved_with_rivals, client, api_as)
    assert RIVAL not in page
    assert competitors is None


def test_the_program_desk_and_the_requester_do_not_see_the_declared_competitors(
    cast, setting, approved_with_rivals, client, api_as
):
    for reader in (setting.dispatch_coordinator, cast.counselor):
        page, competitors = _reads(reader, approved_with_rivals, client, api_as)
        assert RIVAL not in page
        assert competitors is None


def test_the_case_desk_coordinator_and_a_manager_see_the_declared_competitors(
    cast, approved_with_rivals, client, api_as
):
    for reader in (cast.coordinator, cast.manager):
        page, competitors = _reads(reader, approved_with_rivals, client, api_as)
        assert RIVAL in page
        assert competitors == [RIVAL]

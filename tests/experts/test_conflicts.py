from __future__ import annotations

import pytest
from django.utils import translation

from casebook.common.errors import ActionNotPermitted, ConflictError
from casebook.experts import services
from tests.factories import CaseFactory, ClientFactory, DispatchFactory, ExpertFactory


def _request(cast, setting, *, expert=None, case=None, competitors=(), submit=True):
    return services.dispatch_request(
        case=case or setting.case,
        program=setting.program,
        expert=expert or setting.expert,
        purpose="特許出願の支援",
        requested_days="1",
        competitors=list(competitors),
        by=cast.counselor,
        submit=submit,
    )


def test_dispatching_an_expert_to_a_declared_company_is_refused_naming_it(cast, setting):
    services.conflict_declare(
        expert=setting.expert,
        by=setting.dispatch_coordinator,
        company_name=setting.case.client.name,
        relation="advisor",
    )
    with pytest.raises(ConflictError) as error:
        _request(cast, setting)
    assert error.value.code == "conflict_of_interest"
    assert setting.case.client.name in error.value.message


def test_a_manager_override_with_a_reason_is_recorded_in_history(cast, setting):
    services.conflict_declare(
        expert=setting.expert,
        by=setting.dispatch_coordinator,
        company_name=setting.case.client.name,
        relation="relative",
    )
    draft = _request(cast, setting, submit=False)
    with pytest.raises(ConflictError):
        services.dispatch_submit(dispatch=draft, by=cast.counselor)
    with translation.override("en"), pytest.raises(ActionNotPermitted) as error:
        services.dispatch_override_conflict(
            dispatch=draft, by=setting.dispatch_coordinator, reason="他に適任者なし"
        )
    assert "manager" in error.value.message
    overridden = services.dispatch_override_conflict(
        dispatch=draft, by=cast.manager, reason="他に適任者がいないため"
    )
    latest = overridden.history.first()
    assert latest.history_user == cast.manager
    assert "他に適任者がいないため" in latest.history_change_reason
    submitted = services.dispatch_submit(dispatch=overridden, by=cast.counselor)
    assert submitted.status == "requested"
    assert services.dispatch_approve(dispatch=submitted, by=cast.manager).status == "approved"


def test_a_conflict_declared_after_the_request_is_caught_at_approval(cast, setting):
    requested = _request(cast, setting)
    services.conflict_declare(
        expert=setting.expert,
        by=setting.dispatch_coordinator,
        company_name="別名",
        corporate_number="7000012050002",
        relation="employer",
    )
    setting.case.client.corporate_number = "7000012050002"
    setting.case.client.save(update_fields=["corporate_number"])
    with pytest.raises(ConflictError) as error:
        services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    assert "別名" in error.value.message


def test_a_patent_attorney_is_refused_for_a_client_sharing_a_declared_competitor(cast, setting):
    attorney = ExpertFactory(name="弁理 花子", qualifications=["patent_attorney"])
    other = DispatchFactory(
        expert=attorney,
        program=setting.program,
        status="approved",
        approved_days=1,
        competitors=["株式会社ライバル"],
        case=CaseFactory(status="dispatch", lead_counselor=cast.counselor, client=ClientFactory()),
    )
    with pytest.raises(ConflictError) as error:
        _request(cast, setting, expert=attorney, competitors=["株式会社ライバル"])
    assert error.value.code == "conflict_of_interest"
    assert "弁理 花子" in error.value.message and f"#{other.pk}" in error.value.message
    # Another qualification, the same facts: no conflict.
    consultant = ExpertFactory(qualifications=["sme_consultant"])
    DispatchFactory(
        expert=consultant,
        program=setting.program,
        status="approved",
        approved_days=1,
        competitors=["株式会社ライバル"],
    )
    assert _request(cast, setting, expert=consultant, competitors=["株式会社ライバル"])


def test_an_override_without_a_conflict_or_a_reason_is_refused(cast, setting):
    draft = _request(cast, setting, submit=False)
    with pytest.raises(ConflictError) as error:
        services.dispatch_override_conflict(dispatch=draft, by=cast.manager, reason="念のため")
    assert error.value.code == "no_conflict"

"""Dispatches appear in the one case timeline and in the dispatch panel of the case page,
through what the experts app registers (casebook/experts/extensions.py)."""

from __future__ import annotations

from django.test import Client as WebClient
from django.utils import timezone

from casebook.common.extensions import registry
from casebook.experts import services
from casebook.experts.extensions import dispatch_timeline, late_visit_reports
from casebook.experts.selectors import open_dispatch_blocker
from tests.web.conftest import in_english


def _page(user, case) -> str:
    web = in_english(WebClient())
    web.force_login(user)
    response = web.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_request_its_approval_and_its_visit_show_on_the_case_timeline(cast, setting, requested):
    approved = services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    services.visit_schedule(
        dispatch=approved,
        by=setting.dispatch_coordinator,
        date=timezone.localdate(),
        day_fraction="1.0",
        place="本社工場",
    )
    kinds = [entry.kind for entry in dispatch_timeline(cast.counselor, setting.case)]
    assert kinds == ["dispatch_requested", "dispatch_approved", "dispatch_visit"]

    page = _page(cast.counselor, setting.case)
    timeline = page[page.index('id="timeline"') :]
    assert "Expert dispatch requested: 山田 太郎" in timeline
    assert "Expert dispatch approved: 3 days" in timeline
    assert "本社工場" in timeline and "visit report not filed yet" in timeline
    assert f'href="/dispatch/dispatches/{requested.pk}/"' in timeline


def test_a_rejected_request_says_why_on_the_timeline(cast, setting, requested):
    services.dispatch_reject(dispatch=requested, by=setting.dispatch_coordinator, reason="対象外")
    entries = dispatch_timeline(cast.counselor, setting.case)
    assert [(e.kind, e.text) for e in entries][-1] == ("dispatch_rejected", "対象外")


def test_the_dispatch_panel_offers_a_request_to_the_cases_counselor_only(cast, setting, requested):
    counselor_page = _page(cast.counselor, setting.case)
    assert "Request an expert dispatch" in counselor_page
    assert f"#{requested.pk}" in counselor_page[counselor_page.index('id="dispatches"') :]
    manager_page = _page(cast.manager, setting.case)
    assert "Request an expert dispatch" not in manager_page  # managers do not request


def test_the_experts_app_registers_its_timeline_panel_board_list_and_close_blocker():
    keys = [panel.key for panel in registry.case_panels]
    assert "dispatches" in keys and "referrals" in keys
    assert dispatch_timeline in registry.timeline_providers
    assert late_visit_reports in registry.board_extra_providers
    assert open_dispatch_blocker in registry.close_blockers


def test_a_draft_stays_off_the_timeline_until_it_is_sent(cast, setting):
    draft = services.dispatch_request(
        case=setting.case,
        program=setting.program,
        expert=setting.expert,
        purpose="下書き",
        requested_days="1",
        by=cast.counselor,
    )
    assert draft.status == "draft"
    assert dispatch_timeline(cast.counselor, setting.case) == []

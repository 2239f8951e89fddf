from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext

from casebook.experts import services
from casebook.experts.models import Dispatch, DispatchVisit
from casebook.experts.policy import RULES, DispatchAction
from tests.factories import DispatchFactory, SubQuotaFactory, UserFactory, response_bytes


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _scheduled(setting, requested) -> DispatchVisit:
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    return services.visit_schedule(
        dispatch=requested,
        by=setting.dispatch_coordinator,
        date=timezone.localdate(),
        day_fraction="1.0",
        place="本社; 第2工場, 東棟",
    )


def test_the_request_form_ranks_experts_with_the_reason_shown(cast, setting):
    setting.case.topics.add("production_technology")
    response = _client(cast.counselor).get(reverse("experts:new", args=[setting.case.pk]))
    assert response.status_code == 200
    suggestions = response.context["suggestions"]
    assert suggestions[0].expert == setting.expert
    assert "生産・加工技術" in suggestions[0].reason
    assert setting.expert.name in response.content.decode()


def test_requesting_through_the_form_submits_the_dispatch(cast, setting):
    response = _client(cast.counselor).post(
        reverse("experts:new", args=[setting.case.pk]),
        {
            "program": setting.program.pk,
            "expert": setting.expert.pk,
            "requested_days": "２.5",
            "purpose": "生産性向上の指導",
            "submit": "1",
        },
    )
    dispatch = Dispatch.objects.get()
    assert response.status_code == 302
    assert dispatch.status == "requested" and dispatch.requested_days == Decimal("2.5")


def test_a_form_with_days_off_the_half_day_grid_shows_the_rule_and_saves_nothing(cast, setting):
    response = _client(cast.counselor).post(
        reverse("experts:new", args=[setting.case.pk]),
        {
            "program": setting.program.pk,
            "expert": setting.expert.pk,
            "requested_days": "1.25",
            "purpose": "指導",
            "submit": "1",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["requested_days"]
    assert not Dispatch.objects.exists()


def test_approval_over_the_quota_on_the_web_answers_409_naming_the_quota(cast, setting, requested):
    setting.program.quota_days = Decimal("1.0")
    setting.program.save(update_fields=["quota_days"])
    response = _client(setting.dispatch_coordinator).post(
        reverse("experts:action", args=[requested.pk, "approve"]), {"approve-days": ""}
    )
    assert response.status_code == 409
    assert setting.program.name in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_a_counselor_pressing_approve_gets_403_naming_the_rule(cast, setting, requested):
    response = _client(cast.counselor).post(
        reverse("experts:action", args=[requested.pk, "approve"]), {"approve-days": ""}
    )
    assert response.status_code == 403
    rule = escape(gettext(RULES[DispatchAction.APPROVE]))
    assert rule in response.content.decode()


def test_a_visit_on_a_fully_booked_date_is_refused_on_the_web(cast, setting, requested):
    _scheduled(setting, requested)
    other = DispatchFactory(
        expert=setting.expert,
        program=setting.program,
        status="approved",
        approved_days=2,
        approved_at=timezone.now(),
    )
    response = _client(setting.dispatch_coordinator).post(
        reverse("experts:visit_create", args=[other.pk]),
        {"visit-date": timezone.localdate().isoformat(), "visit-day_fraction": "0.5"},
    )
    assert response.status_code == 409
    assert setting.expert.name in response.content.decode()
    assert not other.visits.exists()


def test_the_expert_files_a_visit_report_and_sees_no_one_elses_dispatch(cast, setting, requested):
    login = UserFactory(username="expert.web")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    visit = _scheduled(setting, requested)
    browser = _client(login)
    page = browser.get(reverse("experts:desk"))
    assert page.status_code == 200 and setting.case.client.name in page.content.decode()
    response = browser.post(
        reverse("experts:visit_report", args=[visit.pk]),
        {"report": "現場確認", "advice": "5S", "hours": "6", "client_confirmed_by": "代表"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.report_filed_by == login
    stranger = DispatchFactory(program=setting.program)
    assert browser.get(reverse("experts:dispatch", args=[stranger.pk])).status_code == 404
    assert browser.get(reverse("case_detail", args=[setting.case.pk])).status_code == 404


def test_the_coordinator_page_lists_late_visit_reports(cast, setting):
    late = DispatchFactory(
        program=setting.program,
        status="scheduled",
        approved_days=1,
        approved_at=timezone.now() - dt.timedelta(days=60),
    )
    late.visits.create(
        expert=late.expert,
        date=timezone.localdate() - dt.timedelta(days=30),
        day_fraction="1.0",
    )
    response = _client(setting.dispatch_coordinator).get(reverse("experts:desk"))
    assert response.status_code == 200
    board = response.context["boards"][0]
    assert [v.dispatch_id for v in board["late_visits"]] == [late.pk]


def test_the_roster_filters_by_qualification_and_area(cast, setting):
    from tests.factories import ExpertFactory

    attorney = ExpertFactory(
        name="弁理 士郎", qualifications=["patent_attorney"], service_areas=["つくば市"]
    )
    browser = _client(cast.counselor)
    response = browser.get(reverse("experts:roster"), {"qualification": "patent_attorney"})
    names = [expert.name for expert in response.context["experts"]]
    assert names == [attorney.name]
    response = browser.get(reverse("experts:roster"), {"area": "つくば"})
    assert [e.name for e in response.context["experts"]] == [attorney.name]
    assert browser.get(reverse("experts:expert", args=[attorney.pk])).status_code == 200


def test_the_quota_dashboard_draws_a_burn_down_per_program_and_sub_quota(cast, setting, requested):
    SubQuotaFactory(program=setting.program, code="covid", name="コロナ枠")
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    response = _client(cast.manager).get(reverse("experts:quota"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<svg") == 2 and "コロナ枠" in body
    line = response.context["lines"][0]
    assert line.reserved == Decimal("3.0") and line.remaining == Decimal("797.0")


def test_the_copay_csv_has_a_bom_and_the_months_completed_dispatches(cast, setting, requested):
    _scheduled(setting, requested)
    services.dispatch_complete(dispatch=requested, by=setting.dispatch_coordinator)
    month = timezone.localdate().strftime("%Y-%m")
    response = _client(setting.dispatch_coordinator).get(
        reverse("experts:copay_csv"), {"month": month}
    )
    content = response_bytes(response)
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    assert "企業負担金(円)" in text.splitlines()[0]
    assert setting.case.client.name in text and "13320" in text


def test_the_calendar_feed_is_rfc5545_behind_the_secret_token(cast, setting, requested):
    visit = _scheduled(setting, requested)
    anonymous = Client()
    url = reverse("experts:feed", args=[setting.expert.calendar_token])
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert f"UID:dispatch-visit-{visit.pk}@" in body
    assert "LOCATION:本社\\; 第2工場\\, 東棟" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert anonymous.get(reverse("experts:feed", args=["wrong-token"])).status_code == 404


def test_the_dispatch_order_prints_in_japanese_once_approved(cast, setting, requested):
    browser = _client(setting.dispatch_coordinator)
    assert browser.get(reverse("experts:order", args=[requested.pk])).status_code == 403
    _scheduled(setting, requested)
    response = browser.get(reverse("experts:order", args=[requested.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "専門家派遣決定通知書" in body and "@page { size: A4" in body
    assert setting.case.client.name in body


def test_the_case_page_shows_the_dispatch_panel(cast, setting, requested):
    response = _client(cast.counselor).get(reverse("case_detail", args=[setting.case.pk]))
    assert response.status_code == 200
    assert reverse("experts:dispatch", args=[requested.pk]) in response.content.decode()

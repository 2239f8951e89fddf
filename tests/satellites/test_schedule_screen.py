"""An office's schedule on the web: staff read it; coordinators and managers change its rules
(the rota), its extra and cancelled days and its slot length, with the version they read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from casebook.satellites.models import ConsultationDay, DayException, ScheduleRule, Slot
from tests.factories import DayExceptionFactory, OfficeFactory, ScheduleRuleFactory


@pytest.fixture
def office(db):
    return OfficeFactory(code="hitachi", name="日立サテライト")


def logged_in(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def url(name: str, office, *args) -> str:
    return reverse(f"satellites:{name}", args=[office.code, *args])


RULE = {
    "weekdays": ["1"],
    "weeks": ["2", "4"],
    "starts_at": "10:00",
    "ends_at": "16:00",
    "valid_from": "2027-04-01",
}


def test_a_coordinator_adds_a_rule_with_its_counselor_on_the_rota(cast, office):
    answer = logged_in(cast.coordinator).post(
        url("rule_new", office), RULE | {"counselor": cast.counselor.pk}
    )

    assert answer.status_code == 302
    rule = ScheduleRule.objects.get(office=office)
    assert (rule.weekdays, rule.weeks, rule.counselor) == ("1", "2,4", cast.counselor)
    page = logged_in(cast.counselor).get(url("schedule", office)).content.decode()
    assert str(cast.counselor) in page
    assert url("rule_edit", office, rule.pk) not in page  # the counselor only reads


def test_bad_hours_and_validity_are_named_at_their_fields_and_nothing_is_saved(cast, office):
    answer = logged_in(cast.manager).post(
        url("rule_new", office),
        RULE | {"ends_at": "09:00", "valid_until": "2027-03-01"},
    )

    assert answer.status_code == 400
    assert set(answer.context["form"].errors) == {"ends_at", "valid_until"}
    assert not ScheduleRule.objects.exists()


def test_a_stale_rule_edit_is_refused_and_the_current_one_is_kept(cast, office):
    rule = ScheduleRuleFactory(office=office)
    web = logged_in(cast.coordinator)
    edit = url("rule_edit", office, rule.pk)

    assert web.post(edit, RULE | {"version": 1, "weekdays": ["3"]}).status_code == 302
    stale = web.post(edit, RULE | {"version": 1, "weekdays": ["4"]})

    assert stale.status_code == 409
    rule.refresh_from_db()
    assert (rule.weekdays, rule.version) == ("3", 2)


def test_removing_a_rule_keeps_the_days_it_generated(cast, office):
    rule = ScheduleRuleFactory(
        office=office, weekdays="1", weeks="", valid_from=dt.date(2027, 1, 1)
    )
    web = logged_in(cast.coordinator)
    assert (
        web.post(url("generate", office), {"date_from": "2027-01-04", "date_to": "2027-01-10"})
    ).status_code == 302
    assert ConsultationDay.objects.filter(office=office).count() == 1

    answer = web.post(url("rule_edit", office, rule.pk), {"delete": "1", "version": 1})

    assert answer.status_code == 302
    assert not ScheduleRule.objects.exists()
    assert ConsultationDay.objects.filter(office=office, rule__isnull=True).count() == 1


def test_an_extra_day_needs_its_hours_and_a_date_takes_one_exception(cast, office):
    web = logged_in(cast.coordinator)
    missing = web.post(url("day_new", office), {"date": "2027-05-03", "kind": "extra"})
    assert missing.status_code == 400
    assert set(missing.context["form"].errors) == {"starts_at", "ends_at"}

    extra = {"date": "2027-05-03", "kind": "extra", "starts_at": "10:00", "ends_at": "12:00"}
    assert web.post(url("day_new", office), extra).status_code == 302
    again = web.post(url("day_new", office), {"date": "2027-05-03", "kind": "cancelled"})
    assert again.status_code == 400
    assert again.context["form"].errors["date"]

    web.post(url("generate", office), {"date_from": "2027-05-03", "date_to": "2027-05-03"})
    day = ConsultationDay.objects.get(office=office)
    assert (day.date, day.starts_at) == (dt.date(2027, 5, 3), dt.time(10))  # a holiday: held
    assert Slot.objects.filter(day=day).count() == 2


def test_a_cancelled_day_is_removed_with_the_version_shown(cast, office):
    exception = DayExceptionFactory(
        office=office, date=dt.date(2030, 1, 8), kind="cancelled", reason="年末休業"
    )
    web = logged_in(cast.manager)
    assert exception.reason in web.get(url("schedule", office)).content.decode()

    stale = web.post(url("day_delete", office, exception.pk), {"version": 2})
    assert stale.status_code == 409
    assert web.post(url("day_delete", office, exception.pk), {"version": 1}).status_code == 302
    assert not DayException.objects.exists()


def test_the_slot_length_is_checked_and_versioned(cast, office):
    web = logged_in(cast.coordinator)

    too_long = web.post(url("slot_minutes", office), {"version": 1, "slot_minutes": 300})
    assert too_long.status_code == 400
    assert (
        web.post(url("slot_minutes", office), {"version": 1, "slot_minutes": 30}).status_code == 302
    )
    assert (
        web.post(url("slot_minutes", office), {"version": 1, "slot_minutes": 45}).status_code == 409
    )
    office.refresh_from_db()
    assert office.slot_minutes == 30


def test_generating_refuses_a_range_that_is_backwards_or_too_long(cast, office):
    web = logged_in(cast.coordinator)

    backwards = web.post(
        url("generate", office), {"date_from": "2027-05-03", "date_to": "2027-05-01"}
    )
    too_long = web.post(
        url("generate", office), {"date_from": "2027-01-01", "date_to": "2029-01-01"}
    )

    assert backwards.status_code == too_long.status_code == 400
    assert not ConsultationDay.objects.exists()


def test_counselors_and_auditors_change_nothing(cast, office):
    rule = ScheduleRuleFactory(office=office)
    for user in (cast.counselor, cast.auditor):
        web = logged_in(user)
        assert web.get(url("schedule", office)).status_code == 200
        assert web.post(url("rule_new", office), RULE).status_code == 403
        assert (
            web.post(url("rule_edit", office, rule.pk), {"delete": "1", "version": 1}).status_code
            == 403
        )
        assert (
            web.post(
                url("generate", office), {"date_from": "2027-01-01", "date_to": "2027-01-31"}
            ).status_code
            == 403
        )
    assert ScheduleRule.objects.count() == 1


def test_the_schedule_screen_stays_within_its_budget(cast, office, django_assert_max_num_queries):
    for n in range(5):
        ScheduleRuleFactory(office=office, counselor=cast.counselor)
        DayExceptionFactory(office=office, date=dt.date(2030, 1, 1 + n))
    web = logged_in(cast.coordinator)
    with django_assert_max_num_queries(8):
        assert web.get(url("schedule", office)).status_code == 200
    with django_assert_max_num_queries(8):
        assert web.get(url("rule_new", office)).status_code == 200


def admin_save(web: WebClient, obj, **changes) -> None:
    """Save `obj`'s admin change page as shown, with `changes` typed in."""
    page = web.get(reverse(f"admin:satellites_{obj._meta.model_name}_change", args=[obj.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()} | changes
    answer = web.post(page.request["PATH_INFO"], data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors


@pytest.fixture
def sysadmin(db):
    from casebook.accounts.models import OrgRole
    from tests.factories import UserFactory

    return UserFactory(
        username="sysadmin", org_role=OrgRole.ADMIN, is_staff=True, is_superuser=True
    )


def test_a_web_rule_edit_made_before_an_admin_edit_of_the_rule_is_refused_as_stale(
    cast, office, sysadmin
):
    rule = ScheduleRuleFactory(office=office, weekdays="1", version=1)
    admin_save(logged_in(sysadmin), rule, weekdays="2")

    rule.refresh_from_db()
    assert (rule.weekdays, rule.version) == ("2", 2)
    stale = logged_in(cast.coordinator).post(
        url("rule_edit", office, rule.pk), RULE | {"version": 1, "weekdays": ["3"]}
    )
    assert stale.status_code == 409
    rule.refresh_from_db()
    assert (rule.weekdays, rule.version) == ("2", 2)
    assert rule.history.first().history_user == sysadmin


def test_admin_edits_of_a_day_exception_and_an_office_move_their_versions_on(
    cast, office, sysadmin
):
    exception = DayExceptionFactory(office=office, date=dt.date(2027, 9, 1))
    web = logged_in(sysadmin)
    admin_save(web, exception, reason="台風のため休業")
    admin_save(web, office, slot_minutes=30)

    exception.refresh_from_db()
    office.refresh_from_db()
    assert (exception.reason, exception.version) == ("台風のため休業", 2)
    assert (office.slot_minutes, office.version) == (30, 2)
    stale = logged_in(cast.coordinator).post(
        url("day_delete", office, exception.pk), {"version": 1}
    )
    assert stale.status_code == 409
    assert DayException.objects.filter(pk=exception.pk).exists()

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.common.errors import ActionNotPermitted
from casebook.referrals import selectors, services
from casebook.referrals.extensions import referral_timeline
from casebook.referrals.models import Referral
from tests.factories import PartnerFactory, desk, refer_external, refer_internal


def make_overdue(referral: Referral) -> None:
    Referral.objects.filter(pk=referral.pk).update(
        due_on=timezone.localdate() - dt.timedelta(days=3)
    )


def test_an_overdue_referral_shows_on_both_desks_boards(cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    make_overdue(referral)

    assert referral in selectors.overdue_referrals_for_desk(user=ip_coordinator, desk=desk("ip"))
    assert referral in selectors.overdue_referrals_for_desk(
        user=cast.coordinator, desk=desk("yorozu")
    )
    assert not selectors.overdue_referrals_for_desk(user=cast.outsider, desk=desk("ip")).exists()


def test_a_referral_within_its_deadline_is_not_overdue(cast, yorozu_case, ip_coordinator):
    refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert not selectors.overdue_referrals_for_desk(user=ip_coordinator, desk=desk("ip")).exists()


def test_an_answered_referral_is_no_longer_overdue(cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    make_overdue(referral)

    services.referral_accept(referral=referral, by=ip_coordinator)

    assert not selectors.overdue_referrals_for_desk(user=ip_coordinator, desk=desk("ip")).exists()


def test_an_overdue_partner_follow_up_shows_on_the_referring_desks_board(cast, yorozu_case):
    referral = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    make_overdue(referral)

    assert list(
        selectors.overdue_referrals_for_desk(user=cast.coordinator, desk=desk("yorozu"))
    ) == [referral]


def test_overdue_is_counted_in_business_days(cast, yorozu_case):
    referral = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    Referral.objects.filter(pk=referral.pk).update(due_on=dt.date(2026, 5, 1))
    referral.refresh_from_db()

    # Due on Friday 1 May 2026; by Friday 8 May only 7 and 8 May were business days.
    assert referral.business_days_overdue(today=dt.date(2026, 5, 8)) == 2
    assert referral.business_days_overdue(today=dt.date(2026, 5, 1)) == 0


def test_incoming_referrals_list_the_pending_ones_first(cast, yorozu_case, ip_coordinator):
    from tests.factories import case_in_state

    other = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    answered = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=answered, by=ip_coordinator)
    waiting = refer_internal(other, "ip", by=cast.counselor)

    everything = selectors.incoming_referrals_for_desk(
        user=ip_coordinator, desk=desk("ip"), statuses=None
    )

    assert list(everything) == [waiting, answered]
    assert list(selectors.incoming_referrals_for_desk(user=ip_coordinator, desk=desk("ip"))) == [
        waiting
    ]
    assert not selectors.incoming_referrals_for_desk(user=cast.outsider, desk=desk("ip")).exists()


def test_referrals_appear_on_both_cases_timelines(cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_decline(referral=referral, by=ip_coordinator, reason="対象外")

    sent = referral_timeline(cast.counselor, yorozu_case)
    assert [e.kind for e in sent] == ["referral_sent", "referral_declined"]
    assert sent[1].text == "対象外"

    received = referral_timeline(ip_coordinator, referral.created_case)
    assert [e.kind for e in received] == ["referral_received", "referral_declined"]
    assert received[0].url.endswith(f"/referrals/{referral.pk}/")


def accepted_after(referral: Referral, by, business_days_later: int, at: dt.datetime) -> None:
    from casebook.common.calendar import add_business_days

    services.referral_accept(referral=referral, by=by)
    responded = timezone.localtime(at) + dt.timedelta(
        days=(
            add_business_days(timezone.localdate(at), business_days_later) - timezone.localdate(at)
        ).days
    )
    Referral.objects.filter(pk=referral.pk).update(referred_at=at, responded_at=responded)


def test_the_desk_matrix_counts_pairs_with_acceptance_rate_and_median_days(cast, ip_coordinator):
    from tests.factories import case_in_state

    monday = timezone.make_aware(dt.datetime(2026, 6, 1, 10, 0))
    cases = [case_in_state("active", lead=cast.counselor, by=cast.coordinator) for _ in range(4)]
    referrals = [refer_internal(c, "ip", by=cast.counselor) for c in cases]
    accepted_after(referrals[0], ip_coordinator, 1, monday)
    accepted_after(referrals[1], ip_coordinator, 4, monday)
    services.referral_decline(referral=referrals[2], by=ip_coordinator, reason="対象外")

    matrix = selectors.referral_desk_matrix(user=cast.manager)
    cell = matrix.cell(desk("yorozu"), desk("ip"))

    assert cell.count == 4
    assert (cell.accepted, cell.declined, cell.pending) == (2, 1, 1)
    assert cell.acceptance_rate == pytest.approx(2 / 3)
    assert cell.median_days_to_accept == 2.5
    assert matrix.cell(desk("ip"), desk("yorozu")).count == 0


def test_the_desk_matrix_is_limited_to_the_fiscal_year(cast):
    from tests.factories import case_in_state

    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    referral = refer_internal(case, "ip", by=cast.counselor)
    Referral.objects.filter(pk=referral.pk).update(
        referred_at=timezone.make_aware(dt.datetime(2021, 5, 10, 9, 0))
    )

    assert (
        selectors.referral_desk_matrix(user=cast.manager, fiscal_year=2021)
        .cell(desk("yorozu"), desk("ip"))
        .count
        == 1
    )
    assert selectors.referral_desk_matrix(user=cast.manager, fiscal_year=2022).pairs == []


def test_the_partner_report_counts_by_partner(cast, yorozu_case):
    from tests.factories import case_in_state

    jetro = PartnerFactory(name="ジェトロ茨城")
    bank = PartnerFactory(name="常陽銀行")
    refer_external(yorozu_case, jetro, by=cast.counselor)
    other = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    second = refer_external(other, jetro, by=cast.counselor)
    services.referral_acknowledge(referral=second, by=cast.counselor)
    refer_external(yorozu_case, bank, by=cast.counselor)

    rows = selectors.referral_partner_report(user=cast.auditor)

    assert [(r.partner.name, r.count, r.sent, r.acknowledged) for r in rows] == [
        ("ジェトロ茨城", 2, 1, 1),
        ("常陽銀行", 1, 1, 0),
    ]
    assert rows[0].median_days_to_acknowledge == 0


def test_a_counselor_does_not_read_the_referral_reports(cast):
    with pytest.raises(ActionNotPermitted):
        selectors.referral_desk_matrix(user=cast.counselor)


# A Wednesday in June: no holiday around it.
WEDNESDAY = dt.date(2026, 6, 10)


def at_eight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))


def test_the_daily_run_announces_newly_overdue_referrals_to_the_referrer(
    cast, yorozu_case, inbox, django_capture_on_commit_callbacks
):
    from casebook.notifications.services import jobs_run_due

    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    Referral.objects.filter(pk=referral.pk).update(due_on=WEDNESDAY - dt.timedelta(days=1))
    referrer = inbox(cast.counselor.pk)

    with django_capture_on_commit_callbacks(execute=True):
        jobs_run_due(now=at_eight(WEDNESDAY), names=["reminders"])

    assert referrer.kinds() == ["referral_overdue"]


def test_the_daily_run_does_not_repeat_overdue_referrals(cast, yorozu_case, ip_coordinator):
    from casebook.notifications.models import Notification
    from casebook.notifications.services import reminders_run

    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    Referral.objects.filter(pk=referral.pk).update(due_on=WEDNESDAY - dt.timedelta(days=5))

    first = reminders_run(today=WEDNESDAY)
    second = reminders_run(today=WEDNESDAY + dt.timedelta(days=1))

    assert (first.sent, second.sent) == (2, 0)
    assert set(
        Notification.objects.filter(kind="referral_overdue").values_list("recipient", flat=True)
    ) == {cast.counselor.pk, ip_coordinator.pk}


def test_referrals_overdue_longer_than_the_catch_up_window_are_not_announced(
    cast, yorozu_case, settings
):
    from casebook.notifications.services import reminders_run

    settings.CASEBOOK_REMINDER_CATCH_UP_DAYS = 7
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    Referral.objects.filter(pk=referral.pk).update(due_on=WEDNESDAY - dt.timedelta(days=20))

    assert reminders_run(today=WEDNESDAY).sent == 0

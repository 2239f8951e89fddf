"""Finding 6 (docs/security.md): the admin shows a staff user only what the policy shows them;
the history of an object they may not see answers 404."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from casebook.intake.models import ClientOutcome, SessionAmendment
from tests.factories import CaseFactory, DispatchFactory, SessionFactory, desk, refer_internal


@pytest.fixture
def staff(cast):
    """The yorozu counselor with the admin's view permissions (not a superuser)."""
    user = cast.counselor
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    web = Client()
    web.force_login(user)
    return web


@pytest.fixture
def hidden(cast):
    return CaseFactory(
        desk=desk("ip"),
        status="active",
        lead_counselor=cast.colleague,
        confidentiality="confidential",
        title="未公開の発明の案件",
    )


def test_the_history_of_a_case_the_staff_user_may_not_open_is_404(staff, hidden):
    response = staff.get(f"/admin/intake/case/{hidden.pk}/history/")
    assert response.status_code == 404
    assert "未公開の発明の案件" not in response.content.decode()


def test_the_history_of_a_case_the_staff_user_may_open_is_shown(cast, staff):
    mine = CaseFactory(status="active", lead_counselor=cast.counselor, title="自分の案件")
    assert staff.get(f"/admin/intake/case/{mine.pk}/history/").status_code == 200


def test_dispatches_referrals_amendments_and_outcomes_of_hidden_cases_are_not_listed(
    cast, staff, hidden
):
    dispatch = DispatchFactory(case=hidden)
    referral = refer_internal(hidden, "trade", by=cast.colleague)
    session = SessionFactory(case=hidden)
    amendment = SessionAmendment.objects.create(
        session=session, by=cast.colleague, at=timezone.now(), reason="訂正", changes={}
    )
    outcome = ClientOutcome.objects.create(
        client=hidden.client, case=hidden, reported_on=timezone.localdate(), sales_yen=1
    )
    for url, obj in (
        ("/admin/experts/dispatch/", dispatch),
        ("/admin/referrals/referral/", referral),
        ("/admin/intake/sessionamendment/", amendment),
        ("/admin/intake/clientoutcome/", outcome),
    ):
        listing = staff.get(url)
        assert listing.status_code == 200, url
        assert f"{url}{obj.pk}/change/" not in listing.content.decode(), url
        assert staff.get(f"{url}{obj.pk}/history/").status_code in (302, 404), url

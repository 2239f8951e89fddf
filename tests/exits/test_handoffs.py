"""Hand-offs of a case on the exit track to the business succession centre and the
revitalisation council go through the external referrals with their checklist: the exit team
sends them (it may refer exit-track cases), the checklist is required, and the referral stays
inside the track's circle."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casebook.referrals import selectors as referral_selectors
from casebook.referrals.models import PartnerKind
from tests.factories import PartnerFactory, exit_candidate, on_exit_track, refer_external

pytestmark = pytest.mark.django_db

CHECKLIST = {
    "consent_obtained": True,
    "documents_passed": "決算書3期分、事業承継診断票",
    "original_referrer": "常陽銀行 水戸支店",
    "informs_original_referrer": "us",
}


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("succession_third_party", PartnerKind.SUCCESSION_CENTRE),
        ("turnaround", PartnerKind.REVITALISATION_COUNCIL),
    ],
)
def test_the_team_hands_a_case_on_the_track_off_with_the_checklist(cast, path, kind):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team, path=path)
    partner = PartnerFactory(code=f"partner-{kind}", name="支援機関", kind=kind)

    with pytest.raises(ValidationError) as refused:
        refer_external(plan.case, partner, by=cast.exit_team)
    assert "consent_obtained" in refused.value.message_dict

    referral = refer_external(plan.case, partner, by=cast.exit_team, **CHECKLIST)

    assert referral.to_partner == partner and referral.consent_obtained_on is not None
    for user in (cast.exit_team, cast.counselor, cast.manager):
        seen = referral_selectors.referral_list_for_user(user=user)
        assert seen.filter(pk=referral.pk).exists(), user.username
    for user in (cast.coordinator, cast.auditor, cast.colleague):
        seen = referral_selectors.referral_list_for_user(user=user)
        assert not seen.filter(pk=referral.pk).exists(), user.username

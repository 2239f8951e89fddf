from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casebook.common.calendar import add_business_days
from casebook.common.errors import ActionNotPermitted, TransitionNotAllowed
from casebook.intake import services as case_services
from casebook.referrals import services
from casebook.referrals.models import PartnerKind
from tests.factories import PartnerFactory, refer_external


@pytest.fixture
def jetro(db):
    return PartnerFactory(code="jetro-ibaraki", name="ジェトロ茨城", kind=PartnerKind.JETRO)


def test_an_external_referral_goes_sent_acknowledged_outcome_reported(cast, yorozu_case, jetro):
    referral = refer_external(yorozu_case, jetro, by=cast.counselor)
    today = timezone.localdate()
    assert referral.status == "sent"
    assert referral.created_case is None
    assert referral.due_on == add_business_days(today, 5)

    referral = services.referral_acknowledge(
        referral=referral, by=cast.counselor, partner_contact="海外展開担当"
    )
    assert referral.status == "acknowledged"
    assert referral.partner_contact == "海外展開担当"
    assert referral.due_on == add_business_days(today, 20)

    referral = services.referral_report_outcome(
        referral=referral, by=cast.counselor, outcome="輸出商談会に参加"
    )
    assert referral.status == "outcome_reported"
    assert referral.due_on is None
    assert referral.history.count() == 3


def test_an_outcome_needs_words(cast, yorozu_case, jetro):
    referral = refer_external(yorozu_case, jetro, by=cast.counselor)

    with pytest.raises(ValidationError) as error:
        services.referral_report_outcome(referral=referral, by=cast.counselor, outcome="")

    assert "outcome" in error.value.message_dict


def test_an_external_referral_cannot_be_acknowledged_twice(cast, yorozu_case, jetro):
    referral = refer_external(yorozu_case, jetro, by=cast.counselor)
    services.referral_acknowledge(referral=referral, by=cast.counselor)

    with pytest.raises(TransitionNotAllowed) as error:
        services.referral_acknowledge(referral=referral, by=cast.counselor)

    assert error.value.current == "acknowledged"


def test_an_external_referral_is_not_accepted_like_an_internal_one(cast, yorozu_case, jetro):
    referral = refer_external(yorozu_case, jetro, by=cast.counselor)

    with pytest.raises(ActionNotPermitted):
        services.referral_accept(referral=referral, by=cast.manager)


def test_a_follow_up_date_may_be_set_by_hand(cast, yorozu_case, jetro):
    in_two_weeks = timezone.localdate() + dt.timedelta(days=14)

    referral = refer_external(yorozu_case, jetro, by=cast.counselor, due_on=in_two_weeks)

    assert referral.due_on == in_two_weeks


def test_only_those_who_may_refer_the_case_record_the_partners_reply(cast, yorozu_case, jetro):
    referral = refer_external(yorozu_case, jetro, by=cast.counselor)

    with pytest.raises(ActionNotPermitted):
        services.referral_acknowledge(referral=referral, by=cast.auditor)


def test_an_open_external_referral_does_not_keep_the_case_open(cast, yorozu_case, jetro):
    refer_external(yorozu_case, jetro, by=cast.counselor)

    closed = case_services.case_close(
        case=yorozu_case, by=cast.counselor, reason="referred_out", summary="ジェトロへ紹介"
    )

    assert closed.status == "closed"


def test_a_partner_never_gets_the_case_file(cast, yorozu_case, jetro):
    with pytest.raises(ValidationError) as error:
        refer_external(yorozu_case, jetro, by=cast.counselor, share_full_file=True)

    assert "share_full_file" in error.value.message_dict


class TestHandoffChecklist:
    @pytest.fixture
    def succession_centre(self, db):
        return PartnerFactory(
            code="ibaraki-succession",
            name="茨城県事業承継・引継ぎ支援センター",
            kind=PartnerKind.SUCCESSION_CENTRE,
        )

    def test_a_handoff_to_the_succession_centre_needs_the_checklist(
        self, cast, yorozu_case, succession_centre
    ):
        with pytest.raises(ValidationError) as error:
            refer_external(yorozu_case, succession_centre, by=cast.counselor)

        assert set(error.value.message_dict) == {
            "consent_obtained",
            "documents_passed",
            "informs_original_referrer",
        }

    def test_a_complete_checklist_lets_the_handoff_go(self, cast, yorozu_case, succession_centre):
        referral = refer_external(
            yorozu_case,
            succession_centre,
            by=cast.counselor,
            consent_obtained=True,
            documents_passed="決算書3期分、事業承継診断票",
            original_referrer="常陽銀行 水戸支店",
            informs_original_referrer="us",
        )

        assert referral.consent_obtained_on == timezone.localdate()
        assert referral.original_referrer_informed_at is None

        referral = services.referral_update_checklist(
            referral=referral,
            by=cast.counselor,
            expected_version=referral.version,
            original_referrer_informed=True,
        )
        assert referral.original_referrer_informed_at is not None

    def test_the_original_referrer_is_named_when_someone_must_inform_them(
        self, cast, yorozu_case, succession_centre
    ):
        with pytest.raises(ValidationError) as error:
            refer_external(
                yorozu_case,
                succession_centre,
                by=cast.counselor,
                consent_obtained=True,
                documents_passed="なし",
                informs_original_referrer="receiver",
            )

        assert set(error.value.message_dict) == {"original_referrer"}

    def test_consent_cannot_be_withdrawn_from_a_checklist_handoff(
        self, cast, yorozu_case, succession_centre
    ):
        referral = refer_external(
            yorozu_case,
            succession_centre,
            by=cast.counselor,
            consent_obtained=True,
            documents_passed="なし",
            informs_original_referrer="nobody",
        )

        with pytest.raises(ValidationError):
            services.referral_update_checklist(
                referral=referral,
                by=cast.counselor,
                expected_version=referral.version,
                consent_obtained=False,
            )

    def test_a_stale_checklist_edit_is_refused(self, cast, yorozu_case, succession_centre):
        from casebook.common.errors import StaleVersion

        referral = refer_external(
            yorozu_case,
            succession_centre,
            by=cast.counselor,
            consent_obtained=True,
            documents_passed="なし",
            informs_original_referrer="nobody",
        )

        with pytest.raises(StaleVersion):
            services.referral_update_checklist(
                referral=referral, by=cast.counselor, expected_version=99, documents_passed="x"
            )

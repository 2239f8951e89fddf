from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casebook.intake import policy as case_policy
from casebook.intake.models import Case
from casebook.referrals import policy, selectors, services
from tests.factories import SessionFactory, case_in_state, refer_internal


def sees_file(user, case) -> bool:
    """Both forms of the policy must agree: the query and the single-object check."""
    in_query = case_policy.cases_visible_to(user).filter(pk=case.pk).exists()
    assert in_query == case_policy.can_see_case(user, case)
    return in_query


def test_the_receiving_desk_sees_the_handoff_but_not_the_file_by_default(cast, yorozu_case):
    SessionFactory(case=yorozu_case, summary="売上の内訳を確認")
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor, handoff_note="商標の相談")

    assert not sees_file(cast.colleague, yorozu_case)
    view = policy.handoff_view(cast.colleague, referral)
    assert not view.full_file
    assert view.number == yorozu_case.number
    assert view.title == "新商品の販路開拓"
    assert (
        selectors.referral_get_for_user(user=cast.colleague, pk=referral.pk).handoff_note
        == "商標の相談"
    )
    assert not selectors.sessions_visible_through(user=cast.colleague, referral=referral).exists()


def test_the_receiving_desk_sees_the_full_file_when_the_referrer_shares_it(cast, yorozu_case):
    session = SessionFactory(case=yorozu_case)
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)

    assert sees_file(cast.colleague, yorozu_case)
    assert policy.handoff_view(cast.colleague, referral).full_file
    assert session in selectors.sessions_visible_through(user=cast.colleague, referral=referral)
    # Sharing is reading only: the receiving desk may not act on the referring case.
    assert not case_policy.can(cast.colleague, case_policy.Action.CLOSE, yorozu_case)


def test_a_shared_file_is_not_shown_to_a_third_desk(cast, yorozu_case):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    trade = member("trade", DeskRole.COUNSELOR, username="boeki")
    refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)

    assert not sees_file(trade, yorozu_case)


def test_a_confidential_case_is_never_shared_by_referral(cast):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    invention = case_in_state(
        "active", lead=cast.colleague, by=ip_coordinator, desk_code="ip", title="新型継手の発明"
    )
    assert invention.confidentiality == "confidential"

    with pytest.raises(ValidationError) as error:
        refer_internal(invention, "yorozu", by=cast.colleague, share_full_file=True)
    assert "share_full_file" in error.value.message_dict

    referral = refer_internal(invention, "yorozu", by=cast.colleague)
    assert not sees_file(cast.counselor, invention)
    view = policy.handoff_view(cast.counselor, referral)
    # Not even the title leaves the ip desk: it may describe the invention.
    assert view.title == "" and view.topics == []
    assert "新型継手" not in referral.created_case.title


def test_a_share_lapses_when_the_case_becomes_confidential(cast, yorozu_case):
    refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)
    assert sees_file(cast.colleague, yorozu_case)

    Case.objects.filter(pk=yorozu_case.pk).update(confidentiality="confidential")
    yorozu_case.refresh_from_db()

    assert not sees_file(cast.colleague, yorozu_case)


def test_a_share_lapses_when_the_referral_is_declined(cast, yorozu_case):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)

    services.referral_decline(referral=referral, by=ip_coordinator, reason="対象外")

    assert not sees_file(cast.colleague, yorozu_case)


def test_a_restricted_case_shows_the_receiving_desk_only_whom_to_ask(cast):
    restricted = case_in_state("active", lead=cast.exit_team, by=cast.coordinator)
    Case.objects.filter(pk=restricted.pk).update(
        confidentiality="restricted", on_exit_track=True, title="廃業の検討"
    )
    restricted.refresh_from_db()

    with pytest.raises(ValidationError):
        refer_internal(restricted, "ip", by=cast.exit_team, share_full_file=True)
    referral = refer_internal(restricted, "ip", by=cast.exit_team)

    assert not sees_file(cast.colleague, restricted)
    view = policy.handoff_view(cast.colleague, referral)
    assert view.number == "" and view.title == ""
    assert view.lead_counselor == str(cast.exit_team)


def test_the_referrer_cannot_attach_to_a_case_they_may_not_see(cast, yorozu_case):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    case_in_state(
        "intake", lead=ip_coordinator, by=ip_coordinator, desk_code="ip", client=yorozu_case.client
    )

    with pytest.raises(ValidationError) as error:
        refer_internal(yorozu_case, "ip", by=cast.counselor, attach_to_existing=True)

    assert "attach_to_existing" in error.value.message_dict


def test_the_referring_desk_keeps_seeing_its_referral_but_not_the_receiving_case(cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert not sees_file(cast.counselor, referral.created_case)
    assert selectors.referral_get_for_user(user=cast.counselor, pk=referral.pk) == referral
    assert policy.handoff_view(cast.counselor, referral).full_file


def _restricted_referral(cast):
    restricted = case_in_state("active", lead=cast.exit_team, by=cast.coordinator)
    Case.objects.filter(pk=restricted.pk).update(confidentiality="restricted", on_exit_track=True)
    restricted.refresh_from_db()
    return restricted, refer_internal(restricted, "ip", by=cast.exit_team)


def test_reading_a_referral_page_of_a_restricted_case_is_written_to_the_access_log(cast, client):
    from casebook.intake.models import AccessLog

    restricted, referral = _restricted_referral(cast)

    for reader in (cast.exit_team, cast.colleague):
        client.force_login(reader)
        assert client.get(f"/referrals/{referral.pk}/").status_code == 200

    # The receiving desk reads only whom to ask: nothing of the case, nothing to log.
    assert list(AccessLog.objects.filter(case=restricted).values_list("user", flat=True)) == [
        cast.exit_team.pk
    ]


def test_reading_a_referral_of_a_restricted_case_through_the_api_is_logged(cast):
    from rest_framework.test import APIClient

    from casebook.intake.models import AccessLog

    restricted, referral = _restricted_referral(cast)
    api = APIClient()
    api.force_authenticate(user=cast.exit_team)

    assert api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 200
    assert api.get("/api/v1/referrals/").status_code == 200

    assert sorted(AccessLog.objects.filter(case=restricted).values_list("via", flat=True)) == [
        "api",
        "api-list",
    ]


def test_the_referral_selectors_write_nothing(cast, django_assert_num_queries):
    from casebook.intake.models import AccessLog

    restricted, referral = _restricted_referral(cast)

    selectors.referral_get_for_user(user=cast.exit_team, pk=referral.pk)
    list(selectors.referrals_for_case(user=cast.exit_team, case=restricted))

    assert not AccessLog.objects.exists()


def test_the_receiving_cases_counselor_sees_the_referral(cast, yorozu_case):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=referral, by=ip_coordinator)
    helper = member("trade", DeskRole.COUNSELOR, username="boeki")
    referral.created_case.co_counselors.add(helper)

    assert selectors.referral_get_for_user(user=helper, pk=referral.pk) == referral


def _what_a_reader_is_shown(reader, referrals) -> list[tuple]:
    """Each referral and which of its cases the referrals policy lets `reader` see."""
    return [
        (
            referral.pk,
            policy.can_see_full_file(reader, referral),
            policy.can_see_created_case(reader, referral),
            getattr(policy.existing_case_shown(reader, referral), "pk", None),
        )
        for referral in referrals
    ]


def test_a_cases_referrals_read_for_its_page_are_those_the_referral_list_shows(cast, yorozu_case):
    from django.db.models import Q

    from casebook.accounts.models import DeskRole
    from tests.factories import PartnerFactory, member, refer_external

    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    trade = member("trade", DeskRole.COUNSELOR, username="boeki")
    accepted = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=accepted, by=ip_coordinator)
    accepted.refresh_from_db()
    refer_internal(yorozu_case, "ip", by=cast.counselor, handoff_note="もう一件")
    refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    # The client's open cases at two more desks: one referral names the trade desk's (and
    # shares the referring file with that desk), the manager attaches one to the
    # subcontracting desk's.
    at_trade = case_in_state(
        "active", lead=trade, by=cast.manager, desk_code="trade", client=yorozu_case.client
    )
    at_subcontract = case_in_state(
        "intake", lead=trade, by=cast.manager, desk_code="subcontract", client=yorozu_case.client
    )
    named = refer_internal(yorozu_case, "trade", by=cast.counselor, share_full_file=True)
    attached = refer_internal(yorozu_case, "subcontract", by=cast.manager, attach_to_existing=True)
    assert named.existing_case == at_trade and named.created_case != at_trade
    assert attached.created_case == attached.existing_case == at_subcontract
    restricted, _ = _restricted_referral(cast)
    notes = ("from_case_visible", "created_case_visible", "existing_case_visible")
    readers = [*vars(cast).values(), ip_coordinator, trade]
    shapes = (yorozu_case, accepted.created_case, named.created_case, at_trade, at_subcontract)
    for case in (*shapes, restricted):
        for reader in readers:
            narrowed = selectors.referrals_for_case(user=reader, case=case)
            general = list(
                selectors.referral_list_for_user(user=reader)
                .filter(Q(from_case=case) | Q(created_case=case))
                .order_by("-referred_at", "-pk")
            )
            assert _what_a_reader_is_shown(reader, narrowed) == _what_a_reader_is_shown(
                reader, general
            ), (case.number, reader.username)
            # Once asked, the page's rows carry the general read's notes.
            assert [[getattr(r, n) for n in notes] for r in narrowed] == [
                [getattr(r, n) for n in notes] for r in general
            ], (case.number, reader.username)
    # Both paths ran: the receiving coordinator sees the referring case's referrals without
    # seeing its file, its counselor sees them through the file.
    assert not case_policy.can_see_case(ip_coordinator, yorozu_case)
    assert len(selectors.referrals_for_case(user=ip_coordinator, case=yorozu_case)) == 2
    assert len(selectors.referrals_for_case(user=cast.counselor, case=yorozu_case)) == 5


def test_a_seen_cases_referrals_ask_about_their_other_cases_once_and_only_when_asked(
    cast, yorozu_case, django_assert_num_queries
):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    for _ in range(3):
        services.referral_accept(
            referral=refer_internal(yorozu_case, "ip", by=cast.counselor), by=ip_coordinator
        )
    reader = cast.counselor
    case_policy.desk_roles(reader)
    yorozu_case = Case.objects.prefetch_related("co_counselors").get(pk=yorozu_case.pk)

    # The case page's read: the rows, nothing about the cases they name.
    with django_assert_num_queries(1):
        referrals = selectors.referrals_for_case(user=reader, case=yorozu_case)
    # What a referral shows of its cases: one query for all of them, then none.
    with django_assert_num_queries(1):
        shown = [policy.can_see_created_case(reader, referral) for referral in referrals]
    with django_assert_num_queries(0):
        assert [policy.can_see_full_file(reader, referral) for referral in referrals] == [True] * 3
    assert shown == [False] * 3


def _as_read(referrals) -> list[tuple]:
    """Each referral as the case page reads it: its columns and its joined rows at every level
    (the referring case's desk among them), each with its columns."""

    def columns(obj) -> dict:
        return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}

    def joined(obj) -> dict:
        return {
            name: related and (columns(related), joined(related))
            for name, related in sorted(obj._state.fields_cache.items())
        }

    return [(columns(referral), joined(referral)) for referral in referrals]


def test_a_seen_cases_referrals_read_by_a_statement_compiled_once_are_the_orms(
    cast, yorozu_case, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casebook.accounts.models import DeskRole
    from tests.factories import PartnerFactory, member, refer_external

    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    trade = member("trade", DeskRole.COUNSELOR, username="boeki")
    accepted = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=accepted, by=ip_coordinator)
    accepted.refresh_from_db()
    declined = refer_internal(yorozu_case, "trade", by=cast.counselor, handoff_note="もう一件")
    services.referral_decline(referral=declined, by=cast.manager, reason="対象外")
    refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    # The client's open case at the subcontracting desk, which a referral attaches to.
    case_in_state(
        "intake", lead=trade, by=cast.manager, desk_code="subcontract", client=yorozu_case.client
    )
    attached = refer_internal(yorozu_case, "subcontract", by=cast.manager, attach_to_existing=True)
    restricted, _ = _restricted_referral(cast)
    readers = [*vars(cast).values(), ip_coordinator, trade]
    cases = (yorozu_case, accepted.created_case, attached.created_case, restricted)
    seen = 0
    for case in cases:
        fresh_sql, fresh_params = (
            selectors._shown_with_case().filter(policy.of_case_q(case.pk)).query.sql_with_params()
        )
        assert selectors._OF_SEEN_CASE.sql_with_params(case.pk) == (fresh_sql, list(fresh_params))
        for reader in readers:
            case_policy.desk_roles(reader)  # read once per login object, before either read
            with CaptureQueriesContext(connection) as sent:
                compiled_once = selectors.referrals_for_case(user=reader, case=case)
            with monkeypatch.context() as built, CaptureQueriesContext(connection) as sent_built:
                built.setattr(selectors, "_OF_SEEN_CASE", None)
                orms = selectors.referrals_for_case(user=reader, case=case)
            assert _as_read(compiled_once) == _as_read(orms), (case.number, reader.username)
            assert [q["sql"] for q in sent] == [q["sql"] for q in sent_built]
            assert _what_a_reader_is_shown(reader, compiled_once) == _what_a_reader_is_shown(
                reader, orms
            )
            seen += case_policy.can_see_case(reader, case) and bool(compiled_once)
    assert seen > 8

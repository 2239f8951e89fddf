"""The referral lists under the desk board, read without the notes of which cases the reader
may see (docs/performance.md, "The desk board"): the same rows and client names as the
lists read with them, and the notes asked only when a row needs one."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from casebook.accounts.models import Desk, DeskRole
from casebook.intake.models import Case
from casebook.referrals import policy, selectors
from casebook.referrals.extensions import referral_board_extras
from casebook.referrals.models import OPEN_STATUSES, Referral, ReferralKind, ReferralStatus
from tests.factories import PartnerFactory, case_in_state, member, refer_external, refer_internal

NOTES = ("from_case_visible", "created_case_visible", "existing_case_visible")
DESKS = ("yorozu", "ip", "trade", "subcontract")


def _overdue(*referrals: Referral) -> None:
    past = timezone.localdate() - dt.timedelta(days=3)
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(due_on=past)


def _restricted_referral(cast) -> tuple[Case, Referral]:
    restricted = case_in_state("active", lead=cast.exit_team, by=cast.coordinator)
    Case.objects.filter(pk=restricted.pk).update(confidentiality="restricted", on_exit_track=True)
    restricted.refresh_from_db()
    return restricted, refer_internal(restricted, "ip", by=cast.exit_team)


def _rows(page) -> list[tuple]:
    return [(r.pk, r.client_name, *(getattr(r, note) for note in NOTES), str(r)) for r in page]


def _with_the_whole_rule(user, desk: Desk) -> list[list[tuple]]:
    """The board's two lists as the referral list with the rule (on each referral's cases,
    joined) and its notes reads them."""
    whole = selectors.as_rows(selectors.referral_list_for_user(user=user))
    incoming = whole.filter(
        kind=ReferralKind.INTERNAL, to_desk=desk, status=ReferralStatus.PENDING
    ).order_by("-status", "due_on", "-referred_at", "-pk")
    overdue = (
        whole.filter(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())
        .filter(Q(kind=ReferralKind.INTERNAL, to_desk=desk) | Q(from_case__desk=desk))
        .order_by("due_on", "referred_at", "pk")
    )
    pages = [
        selectors.referral_page(user=user, referrals=rows, size=20) for rows in (incoming, overdue)
    ]
    return [_rows(page) for page in pages]


def _on_the_board(user, desk: Desk) -> list[list[tuple]]:
    extras = referral_board_extras(user, desk)
    for extra in extras:
        for referral in extra.items:
            policy.can_see_full_file(user, referral)  # take the notes, to compare them too
    return [_rows(extra.items) for extra in extras]


def test_the_boards_referral_lists_show_what_the_lists_with_the_whole_rule_show(cast, yorozu_case):
    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    trade = member("trade", DeskRole.COUNSELOR, username="boeki")
    at_trade = case_in_state(
        "active", lead=trade, by=cast.manager, desk_code="trade", client=yorozu_case.client
    )
    shared = refer_internal(yorozu_case, "trade", by=cast.counselor, share_full_file=True)
    plain = refer_internal(yorozu_case, "ip", by=cast.counselor)
    external = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    back = refer_internal(at_trade, "yorozu", by=trade)
    _restricted, hidden = _restricted_referral(cast)
    _overdue(shared, external, back, hidden)
    readers = [*vars(cast).values(), ip_coordinator, trade]
    shown = 0
    for code in DESKS:
        desk = Desk.objects.get(code=code)
        for reader in readers:
            board = _on_the_board(reader, desk)
            assert board == _with_the_whole_rule(reader, desk), (code, reader.username)
            shown += sum(len(rows) for rows in board)
    assert shown and plain.pk  # some rows on some boards, the restricted one among them


def test_a_restricted_cases_client_name_stays_hidden_on_the_receiving_desks_board(cast):
    restricted, referral = _restricted_referral(cast)
    ip = Desk.objects.get(code="ip")
    incoming = referral_board_extras(cast.colleague, ip)[0].items
    assert [(r.pk, r.client_name) for r in incoming] == [(referral.pk, "")]
    # Those who see the case see the name: the exit team through the referring case, the
    # manager through every case.
    for reader in (cast.exit_team, cast.manager):
        overdue = selectors.overdue_referrals_for_desk(user=reader, desk=ip, noted=False)
        _overdue(referral)
        page = selectors.referral_pages(user=reader, lists=[overdue], size=20)[0]
        assert [(r.pk, r.client_name) for r in page] == [(referral.pk, restricted.client.name)]


def test_the_boards_lists_ask_about_their_cases_only_for_a_restricted_referring_case(
    cast, yorozu_case, django_assert_num_queries
):
    from casebook.intake import policy as case_policy

    ip = Desk.objects.get(code="ip")
    _overdue(refer_internal(yorozu_case, "ip", by=cast.counselor))
    for reader in (cast.colleague, cast.manager):
        case_policy.desk_roles(reader)
        # The two pages, nothing about the cases they name: no row is restricted.
        with django_assert_num_queries(2):
            referral_board_extras(reader, ip)
    _restricted_referral(cast)
    # A restricted referring case: one query for both pages' rows, whatever their number.
    with django_assert_num_queries(3):
        extras = referral_board_extras(cast.colleague, ip)
    assert sum(len(extra.items) for extra in extras) == 3
    # A manager sees every case: nothing to ask.
    with django_assert_num_queries(2):
        referral_board_extras(cast.manager, ip)


def test_a_desks_incoming_referrals_are_read_without_the_case_rule_for_its_members(cast):
    ip = Desk.objects.get(code="ip")
    member_sql = str(
        selectors.incoming_referrals_for_desk(user=cast.colleague, desk=ip, noted=False).query
    )
    other_sql = str(
        selectors.incoming_referrals_for_desk(user=cast.counselor, desk=ip, noted=False).query
    )
    assert '"intake_case"."confidentiality"' not in member_sql.split(" WHERE ")[1]
    assert '"intake_case"."confidentiality"' in other_sql.split(" WHERE ")[1]
    assert policy.visible_referrals_q(cast.colleague, to_desk_id=ip.pk) == Q(
        kind=ReferralKind.INTERNAL, to_desk_id=ip.pk
    )


def test_the_rule_with_the_case_rule_asked_as_a_set_shows_what_the_joined_rule_shows(
    cast, yorozu_case
):
    ip_coordinator = member("ip", DeskRole.COORDINATOR, username="ipcoord")
    trade = member("trade", DeskRole.COUNSELOR, username="boeki")
    at_trade = case_in_state(
        "active", lead=trade, by=cast.manager, desk_code="trade", client=yorozu_case.client
    )
    refer_internal(yorozu_case, "trade", by=cast.counselor, share_full_file=True)
    refer_internal(yorozu_case, "ip", by=cast.counselor)
    refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)  # no created case
    refer_internal(at_trade, "yorozu", by=trade)
    _restricted_referral(cast)
    every = Referral.objects.all()
    some = Referral.objects.filter(kind=ReferralKind.INTERNAL)
    for reader in [*vars(cast).values(), ip_coordinator, trade]:
        for among in (every, some):
            joined = set(among.filter(policy.visible_referrals_q(reader)))
            as_sets = set(among.filter(policy.visible_referrals_q(reader, among=among)))
            assert as_sets == joined, reader.username


def test_the_overdue_list_asks_the_case_rule_of_its_cases_as_a_set_not_joined(cast):
    ip = Desk.objects.get(code="ip")
    overdue = selectors.overdue_referrals_for_desk(user=cast.counselor, desk=ip, noted=False)
    sql = str(overdue.query)
    where = sql.split(" WHERE ", 1)[1].split(" ORDER BY ")[0]
    assert '"referrals_referral"."from_case_id" IN (SELECT' in where
    assert '"referrals_referral"."created_case_id" IN (SELECT' in where
    # The rule's columns are the case table's own in those sets, not the joined cases'.
    assert '"intake_case"."confidentiality"' not in where

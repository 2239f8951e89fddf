"""The desks a login's pages link to (`accounts.selectors.desks_shown_to`): the desks it may
see, read by a statement compiled once per login's facts and executed on every request."""

from __future__ import annotations

import pytest

from casebook.accounts.models import Desk, DeskMembership, DeskRole, User
from casebook.accounts.selectors import desk_list_for_user, desks_shown_to
from tests.factories import desk

pytestmark = pytest.mark.django_db


def test_each_login_is_shown_the_desks_it_may_see_in_their_order(cast):
    for user in vars(cast).values():
        assert desks_shown_to(user=user) == list(desk_list_for_user(user=user)), user


def test_a_renamed_desk_and_a_new_membership_show_on_the_next_read(cast):
    assert [d.code for d in desks_shown_to(user=cast.counselor)] == ["yorozu"]
    Desk.objects.filter(code="yorozu").update(name="よろず支援拠点（新）")
    assert desks_shown_to(user=cast.counselor)[0].name == "よろず支援拠点（新）"
    DeskMembership.objects.create(user=cast.counselor, desk=desk("ip"), role=DeskRole.COUNSELOR)
    # A request reads its login anew: the memberships are read once per user object.
    counselor = User.objects.get(pk=cast.counselor.pk)
    shown = desks_shown_to(user=counselor)
    assert {d.code for d in shown} == {"yorozu", "ip"}
    assert shown == list(desk_list_for_user(user=counselor))
    assert desk("ip") in shown

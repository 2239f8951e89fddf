"""Who may see and do what at the satellite offices (docs/rules.md, "Offices and satellites").

Built on the case policy: schedules and bookings are for staff (`intake.policy`); a booking's
check-in logs a session through intake's services, which apply the case rules themselves.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.models import DeskRole, OrgRole, User
from casebook.common.errors import ActionNotPermitted, TransitionNotAllowed
from casebook.intake import policy as case_policy
from casebook.satellites.models import BOOKING_TRANSITIONS, Booking, BookingStatus, Slot

BOOK = "book"
MANAGE_SCHEDULE = "manage_schedule"

RULES = {
    BOOK: gettext_lazy("only desk staff or a manager book satellite slots"),
    MANAGE_SCHEDULE: gettext_lazy(
        "only a coordinator, a manager or an administrator changes satellite schedules"
    ),
}

BOOKING_ACTIONS = ("check_in", "no_show", "cancel")


def can_see_schedules(user: User) -> bool:
    """Schedules, slots and bookings: every staff member (a day screen sits at the counter)."""
    return user.is_authenticated and user.is_active and case_policy.is_staff_member(user)


def can_book(user: User) -> bool:
    """Book, cancel, check in and record no-shows: those who take intakes (they register the
    client the booking is for)."""
    return case_policy.may_take_intakes(user)


def can_manage_schedule(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.org_role in (OrgRole.MANAGER, OrgRole.ADMIN) or user.is_superuser:
        return True
    return any(DeskRole.COORDINATOR in roles for roles in case_policy.desk_roles(user).values())


def require(user: User, rule: str) -> None:
    allowed = can_book(user) if rule == BOOK else can_manage_schedule(user)
    if not allowed:
        raise ActionNotPermitted(str(RULES[rule]))


def offered_actions(user: User, booking: Booking) -> frozenset[str]:
    """The actions a screen offers on `booking`: the role allows them and the state has them."""
    if not can_book(user):
        return frozenset()
    offered = set(BOOKING_TRANSITIONS.get(booking.status, {}))
    # What the services refuse by the clock is not offered either: a check-in happens on the
    # booking's day, a no-show once the slot has begun.
    starts_at = booking.slot.starts_at
    if timezone.localtime(starts_at).date() != timezone.localdate():
        offered.discard("check_in")
    if starts_at > timezone.now():
        offered.discard("no_show")
    return frozenset(offered)


def slot_offered_actions(user: User, slot: Slot, booking: Booking | None) -> frozenset[str]:
    """`book` on a free slot that has not begun, for those who book (the service checks the
    rest: a closed day, a slot taken meanwhile)."""
    if booking is not None or slot.starts_at <= timezone.now() or not can_book(user):
        return frozenset()
    return frozenset({"book"})


def ensure_transition(booking: Booking, action: str) -> str:
    """The state `action` leads to from the booking's state, or 409 naming both."""
    target = BOOKING_TRANSITIONS.get(booking.status, {}).get(action)
    if target is None:
        raise TransitionNotAllowed(
            current=booking.status,
            requested=action,
            current_label=str(BookingStatus(booking.status).label),
            requested_label=action,
            message=_("a booking that is '%(current)s' cannot be %(action)s")
            % {"current": BookingStatus(booking.status).label, "action": ACTION_LABELS[action]},
        )
    return target


def require_offered(user: User, booking: Booking, action: str) -> None:
    """Refuse what a screen would not offer: 403 naming the rule without the role, 409 naming
    the states when the booking's state does not have `action`."""
    require(user, BOOK)
    ensure_transition(booking, action)


ACTION_LABELS = {
    "check_in": gettext_lazy("checked in"),
    "no_show": gettext_lazy("recorded as a no-show"),
    "cancel": gettext_lazy("cancelled"),
}

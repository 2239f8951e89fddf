"""What the referrals add to the case page, its timeline, the desk board and closing a case,
registered in `ReferralsConfig.ready()` (docs/architecture.md, "Extension points")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from casebook.common.extensions import BoardExtra, CasePanel, TimelineEntry, registry
from casebook.referrals import selectors, services

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case
    from casebook.referrals.models import Referral


def case_referrals(user: User, case: Case) -> list[Referral]:
    """The referrals out of and into `case` that `user` may see, newest first, each marked
    `overdue`; read once per case object, for the panel and the timeline alike."""
    seen = case.__dict__.setdefault("_referrals_seen_by", {})
    if user.pk not in seen:
        referrals = list(selectors.referrals_for_case(user, case).order_by("-referred_at", "-pk"))
        for referral in referrals:
            referral.overdue = selectors.is_overdue(referral)
        seen[user.pk] = referrals
    return seen[user.pk]


def referral_panel(user: User, case: Case) -> dict[str, Any]:
    return {"referrals": case_referrals(user, case)}


def referral_timeline(user: User, case: Case) -> list[TimelineEntry]:
    return selectors.referral_timeline_entries(user, case, referrals=case_referrals(user, case))


def referral_board_extras(user: User, desk: Desk) -> list[BoardExtra]:
    incoming = list(selectors.incoming_referrals_for_desk(user, desk))
    overdue = list(selectors.overdue_referrals_for_desk(user, desk))
    return [
        BoardExtra(key="incoming_referrals", label=str(_("incoming referrals")), items=incoming),
        BoardExtra(
            key="overdue_referrals",
            label=str(_("overdue referrals")),
            items=overdue,
            overdue=True,
        ),
    ]


def register() -> None:
    registry.add_timeline_provider(referral_timeline)
    registry.add_case_panel(
        CasePanel(
            key="referrals",
            template="referrals/_case_panel.html",
            context=referral_panel,
            order=20,
        )
    )
    registry.add_board_extra_provider(referral_board_extras)
    registry.add_close_blocker(services.referral_close_blocker)

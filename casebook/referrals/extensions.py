"""What the referrals add to the case page, its timeline, the desk board and closing a case,
registered in `ReferralsConfig.ready()` (docs/architecture.md, "Extension points")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.exports import record
from casebook.common.extensions import (
    BoardExtra,
    CasePanel,
    PersonalDataSource,
    Registry,
    TimelineEntry,
    read_once,
)
from casebook.intake.history import history_kind
from casebook.referrals import selectors, services
from casebook.referrals.models import Referral, ReferralKind, ReferralStatus

if TYPE_CHECKING:
    import datetime as dt

    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case
    from casebook.referrals.models import Referral

RS = ReferralStatus
# The board lists the most urgent ones; the desk's referral page has them all.
BOARD_ROWS = 20


def case_referrals(user: User, case: Case) -> list[Referral]:
    """The referrals out of and into `case` that `user` may see, newest first; read once per
    case object, for the panel and the timeline alike."""
    return read_once(
        case,
        "_referrals_seen_by",
        user,
        lambda: list(selectors.referrals_for_case(user=user, case=case)),
    )


def referral_panel(user: User, case: Case) -> dict[str, Any]:
    return {"referrals": case_referrals(user, case)}


def _events(referral: Referral, case: Case) -> Iterator[tuple[str, dt.datetime, str, str, Any]]:
    """(kind, when, title, text, by) of each step of `referral` seen from `case`."""
    if referral.from_case_id == case.pk:
        kind, title = "referral_sent", _("Referred to %s") % referral.target_name
    else:
        kind, title = "referral_received", _("Referral received from %s") % referral.from_case.desk
    yield kind, referral.referred_at, title, referral.handoff_note, referral.referred_by
    answered = {
        RS.ACCEPTED: ("referral_accepted", _("Referral accepted by %s"), ""),
        RS.DECLINED: ("referral_declined", _("Referral declined by %s"), referral.decline_reason),
    }
    if referral.responded_at and referral.status in answered:
        kind, title, text = answered[referral.status]
        yield kind, referral.responded_at, title % referral.to_desk, text, referral.responded_by
    partner = referral.to_partner
    if referral.acknowledged_at and referral.kind == ReferralKind.EXTERNAL:
        title = _("%s acknowledged the referral") % partner
        yield (
            "referral_acknowledged",
            referral.acknowledged_at,
            title,
            referral.partner_contact,
            None,
        )
    if referral.outcome_reported_at:
        title = _("Outcome reported by %s") % partner
        yield (
            "referral_outcome_reported",
            referral.outcome_reported_at,
            title,
            referral.outcome,
            None,
        )


def referral_timeline(user: User, case: Case) -> list[TimelineEntry]:
    """Each referral's steps as the case timeline shows them, oldest first (the referrals
    policy already left out what `user` may not see)."""
    entries = [
        TimelineEntry(
            kind=kind,
            at=at,
            by=by,
            obj=referral,
            title=title,
            text=text,
            url=reverse("referrals:detail", args=[referral.pk]),
        )
        for referral in case_referrals(user, case)
        for kind, at, title, text, by in _events(referral, case)
    ]
    entries.sort(key=lambda entry: (entry.at, entry.obj.pk))
    return entries


def referral_board_extras(user: User, desk: Desk) -> list[BoardExtra]:
    """Under the desk board: the referrals awaiting the desk's answer, and the overdue ones
    on either side; a bounded page each (one query each, whatever their number).

    Read without the notes of which of their cases the reader may see: the rows ask only of
    a restricted referring case (its client's name), and the notes are then taken for both
    pages' rows in one query; compiled into each read, the case rule's three copies were
    most of the board's planning (docs/performance.md, "The desk board").
    """
    lists = (
        (
            "incoming_referrals",
            _("incoming referrals"),
            False,
            selectors.incoming_referrals_for_desk(user=user, desk=desk, noted=False),
        ),
        (
            "overdue_referrals",
            _("overdue referrals"),
            True,
            selectors.overdue_referrals_for_desk(user=user, desk=desk, noted=False),
        ),
    )
    pages = selectors.referral_pages(
        user=user,
        lists=[selectors.as_rows(referrals) for _key, _label, _overdue, referrals in lists],
        size=BOARD_ROWS,
    )
    return [
        BoardExtra(
            key=key,
            label=label,
            items=page,
            overdue=overdue,
            template="referrals/_board_extra.html",
        )
        for (key, label, overdue, _referrals), page in zip(lists, pages, strict=True)
    ]


def referral_close_blocker(case: Case) -> str | None:
    """A case does not close while an internal referral out of it or into it awaits its
    answer (docs/rules.md, "Case lifecycle")."""
    waiting = selectors.pending_internal_referral(case=case)
    if waiting is None:
        return None
    if waiting.from_case_id == case.pk:
        return _("the referral to %(desk)s (#%(id)s) is still awaiting an answer") % {
            "desk": waiting.to_desk,
            "id": waiting.pk,
        }
    return _("accept or decline the referral from %(desk)s (#%(id)s) first") % {
        "desk": waiting.from_case.desk,
        "id": waiting.pk,
    }


def register(registry: Registry) -> None:
    registry.add_case_extensions(
        history=history_kind(
            "referrals",
            gettext_lazy("referral"),
            selectors.referral_get_for_user,
            lambda referral: referral.from_case,
        ),
        personal_data=PersonalDataSource(key="referrals", rows=referral_personal_data, order=20),
        timeline=referral_timeline,
        panel=CasePanel("referrals", "referrals/_case_panel.html", referral_panel, order=20),
        board_extras=referral_board_extras,
        close_blocker=referral_close_blocker,
        # A case that becomes restricted (the exit track) is no longer shared by its referrals.
        restriction_listener=lambda case: services.referral_shares_revoke(case=case),
    )


def referral_personal_data(client: Any) -> Iterator[dict[str, Any]]:
    """The referrals of the client's cases, for the APPI export (docs/security.md, "APPI")."""
    for referral in Referral.objects.filter(from_case__client=client).order_by("pk"):
        yield record(referral)

"""Recording an activity with its participants (docs/reports.md, "Activities")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.models import ensure_version, raise_if_errors, save_tracked
from casebook.reports import policy
from casebook.reports.models import Activity, ActivityKind, ActivityParticipant

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case, Client


@dataclass(frozen=True)
class Participant:
    client: Client
    deals: int = 0
    follow_up_case: Case | None = None
    note: str = ""


def _activity_errors(
    *, kind: str, held_on: dt.date, place: str, online: bool
) -> dict[str, list[ValidationError]]:
    """What is wrong with an activity's own fields, by field (creating and editing alike)."""
    errors: dict[str, list[ValidationError]] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [ValidationError(_("no such kind of activity"), code="invalid")]
    if held_on > timezone.localdate():
        errors["held_on"] = [
            ValidationError(_("an activity is recorded once it is held"), code="future")
        ]
    if not online and not place.strip():
        errors["place"] = [
            ValidationError(_("name the place, or mark the activity online"), code="required")
        ]
    return errors


@transaction.atomic
def activity_create(
    *,
    by: User,
    kind: str,
    desk: Desk,
    title: str,
    held_on: dt.date,
    place: str = "",
    online: bool = False,
    organisers: str = "",
    note: str = "",
    participants: Iterable[Participant] = (),
) -> Activity:
    """Record a held activity with its participants: all of it or nothing."""
    policy.require_record_activity(by, desk.pk)
    participants = list(participants)
    errors = _activity_errors(kind=kind, held_on=held_on, place=place, online=online)
    clients = [p.client.pk for p in participants]
    if len(set(clients)) != len(clients):
        errors["participants"] = [ValidationError(_("a client takes part once"), code="duplicate")]
    for index, p in enumerate(participants, start=1):
        if p.follow_up_case is not None and p.follow_up_case.client_id != p.client.pk:
            errors.setdefault("participants", []).append(
                ValidationError(
                    _("participant %(n)d: the follow-up case is another client's") % {"n": index},
                    code="client",
                )
            )
        if p.deals < 0:
            errors.setdefault("participants", []).append(
                ValidationError(
                    _("participant %(n)d: deals are not negative") % {"n": index}, code="invalid"
                )
            )
    raise_if_errors(errors)
    activity = Activity(
        kind=kind,
        desk=desk,
        title=title.strip(),
        held_on=held_on,
        place=place.strip(),
        online=online,
        organisers=organisers.strip(),
        note=note.strip(),
        created_by=by,
    )
    save_tracked(activity, by=by)
    for p in participants:
        save_tracked(
            ActivityParticipant(
                activity=activity,
                client=p.client,
                deals=p.deals,
                follow_up_case=p.follow_up_case,
                note=p.note.strip(),
            ),
            by=by,
        )
    return activity


@transaction.atomic
def activity_update(
    *,
    by: User,
    activity: Activity,
    expected_version: int | None,
    kind: str,
    desk: Desk,
    title: str,
    held_on: dt.date,
    place: str = "",
    online: bool = False,
    organisers: str = "",
    note: str = "",
) -> Activity:
    """Correct an activity's own fields (its participants stay), against the version the
    screen showed; moving it to another desk needs the right to record for both."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    policy.require_record_activity(by, activity.desk_id)
    policy.require_record_activity(by, desk.pk)
    ensure_version(activity, expected_version)
    raise_if_errors(_activity_errors(kind=kind, held_on=held_on, place=place, online=online))
    fields = {
        "kind": kind,
        "desk": desk,
        "title": title.strip(),
        "held_on": held_on,
        "place": place.strip(),
        "online": online,
        "organisers": organisers.strip(),
        "note": note.strip(),
    }
    for name, value in fields.items():
        setattr(activity, name, value)
    save_tracked(activity, by=by, update_fields=list(fields), reason="activity changed")
    return activity


def _next_version(activity: Activity) -> None:
    """A change of the participants is a change of the activity: the next version, so that a
    screen showing the old list is refused (the participant's row keeps the history)."""
    Activity.objects.filter(pk=activity.pk).update(version=F("version") + 1)
    activity.version += 1


@transaction.atomic
def activity_participant_add(
    *,
    by: User,
    activity: Activity,
    expected_version: int | None,
    client: Client,
    deals: int = 0,
    follow_up_case: Case | None = None,
    note: str = "",
) -> ActivityParticipant:
    """Add a client of the registry to a held activity, against the version the screen
    showed; the same checks as recording one with its participants."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    policy.require_record_activity(by, activity.desk_id)
    ensure_version(activity, expected_version)
    errors: dict[str, list[ValidationError]] = {}
    if ActivityParticipant.objects.filter(activity=activity, client=client).exists():
        errors["client"] = [
            ValidationError(_("this client already takes part in the activity"), code="duplicate")
        ]
    if deals < 0:
        errors["deals"] = [ValidationError(_("deals are not negative"), code="invalid")]
    if follow_up_case is not None and follow_up_case.client_id != client.pk:
        errors["follow_up_case"] = [
            ValidationError(_("the follow-up case is another client's"), code="client")
        ]
    raise_if_errors(errors)
    participant = ActivityParticipant(
        activity=activity,
        client=client,
        deals=deals,
        follow_up_case=follow_up_case,
        note=note.strip(),
    )
    save_tracked(participant, by=by, reason="participant added")
    _next_version(activity)
    return participant


@transaction.atomic
def activity_participant_remove(
    *, by: User, activity: Activity, expected_version: int | None, participant_id: int
) -> Activity:
    """Take a participant off an activity, against the version the screen showed."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    policy.require_record_activity(by, activity.desk_id)
    ensure_version(activity, expected_version)
    participant = ActivityParticipant.objects.filter(activity=activity, pk=participant_id).first()
    if participant is None:
        raise ValidationError({"participant": [_("no such participant of this activity")]})
    participant._history_user = by
    participant._change_reason = "participant removed"
    participant.delete()
    _next_version(activity)
    return activity

"""Recording an activity with its participants (docs/reports.md, "Activities")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.models import ensure_version, lock_row, raise_if_errors, save_tracked
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


class ActivityFields(TypedDict):
    """An activity's own fields, as recording and correcting it take them."""

    kind: str
    desk: Desk
    title: str
    held_on: dt.date
    place: NotRequired[str]
    online: NotRequired[bool]
    organisers: NotRequired[str]
    note: NotRequired[str]


def _activity_values(
    fields: ActivityFields, errors: dict[str, list[ValidationError]]
) -> dict[str, Any]:
    """The activity's own fields as they are stored; what is wrong with them lands in
    `errors`, by field (creating and editing alike)."""
    values = {
        "kind": fields["kind"],
        "desk": fields["desk"],
        "title": fields["title"].strip(),
        "held_on": fields["held_on"],
        "place": fields.get("place", "").strip(),
        "online": fields.get("online", False),
        "organisers": fields.get("organisers", "").strip(),
        "note": fields.get("note", "").strip(),
    }
    if values["kind"] not in ActivityKind.values:
        errors["kind"] = [ValidationError(_("no such kind of activity"), code="invalid")]
    if values["held_on"] > timezone.localdate():
        errors["held_on"] = [
            ValidationError(_("an activity is recorded once it is held"), code="future")
        ]
    if not values["online"] and not values["place"]:
        errors["place"] = [
            ValidationError(_("name the place, or mark the activity online"), code="required")
        ]
    return values


@transaction.atomic
def activity_create(
    *,
    by: User,
    participants: Iterable[Participant] = (),
    **fields: Unpack[ActivityFields],
) -> Activity:
    """Record a held activity with its participants: all of it or nothing."""
    policy.require_record_activity(by, fields["desk"].pk)
    participants = list(participants)
    errors: dict[str, list[ValidationError]] = {}
    values = _activity_values(fields, errors)
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
    activity = Activity(**values, created_by=by)
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
    **fields: Unpack[ActivityFields],
) -> Activity:
    """Correct an activity's own fields (its participants stay), against the version the
    screen showed; moving it to another desk needs the right to record for both."""
    activity = lock_row(Activity, activity.pk)
    policy.require_record_activity(by, activity.desk_id)
    policy.require_record_activity(by, fields["desk"].pk)
    ensure_version(activity, expected_version)
    errors: dict[str, list[ValidationError]] = {}
    values = _activity_values(fields, errors)
    raise_if_errors(errors)
    for name, value in values.items():
        setattr(activity, name, value)
    save_tracked(activity, by=by, update_fields=list(values), reason="activity changed")
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
    activity = lock_row(Activity, activity.pk)
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
    activity = lock_row(Activity, activity.pk)
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

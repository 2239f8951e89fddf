"""What expert dispatch adds to the case page, its timeline, the desk board and closing a
case, and the visits as hosts of attachments (a visit report's files), registered in
`ExpertsConfig.ready()` (docs/architecture.md, "Extension points")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.exports import record
from casebook.common.extensions import (
    AttachmentHost,
    BoardExtra,
    CasePanel,
    PersonalDataSource,
    Registry,
    TimelineEntry,
    read_once,
)
from casebook.experts import policy, selectors
from casebook.experts.models import Dispatch, DispatchStatus, DispatchVisit
from casebook.intake.history import history_kind

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case

# Dispatches in these states may have visits; the others never had one.
_VISITED = (
    DispatchStatus.SCHEDULED,
    DispatchStatus.COMPLETED,
    DispatchStatus.CLOSED,
    DispatchStatus.CANCELLED,
)


def case_dispatches(user: User, case: Case) -> list[Dispatch]:
    """The dispatches of `case` that `user` may see (the experts policy), newest first, with
    their visits; read once per case object, for the panel and the timeline alike."""

    def read() -> list[Dispatch]:
        dispatches = selectors.dispatches_shown_with_case(user=user, case=case)
        for dispatch in dispatches:
            dispatch.case = case
        prefetch_related_objects([d for d in dispatches if d.status in _VISITED], "visits")
        return dispatches

    return read_once(case, "_dispatches_seen_by", user, read)


def dispatch_panel(user: User, case: Case) -> dict[str, Any]:
    return {"dispatches": case_dispatches(user, case)}


def _days(value: Any) -> str:
    text = f"{value:f}" if value is not None else ""
    return text[:-2] if text.endswith(".0") else text


def _visit_moment(visit: DispatchVisit) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(visit.date, dt.time(9, 0)))


@dataclass(frozen=True)
class _Event:
    """One moment of a dispatch the timeline shows: the field that dates it, and its words."""

    kind: str
    at: str
    title: Callable[[Dispatch], str]
    text: Callable[[Dispatch], str] = lambda dispatch: ""
    by: Callable[[Dispatch], Any] = lambda dispatch: None


_EVENTS = (
    _Event(
        "dispatch_requested",
        "submitted_at",
        lambda d: (
            _("Expert dispatch requested: %(who)s, %(days)s days")
            % {"who": f"{d.expert.name} · {d.program.name}", "days": _days(d.requested_days)}
        ),
        by=lambda d: d.requested_by,
    ),
    _Event(
        "dispatch_approved",
        "approved_at",
        lambda d: _("Expert dispatch approved: %(days)s days") % {"days": _days(d.approved_days)},
        by=lambda d: d.decided_by,
    ),
    _Event(
        "dispatch_rejected",
        "rejected_at",
        lambda d: _("Expert dispatch rejected"),
        text=lambda d: d.decision_reason,
        by=lambda d: d.decided_by,
    ),
    _Event(
        "dispatch_completed",
        "completed_at",
        lambda d: _("Expert dispatch completed: %(days)s days used") % {"days": _days(d.used_days)},
    ),
    _Event(
        "dispatch_cancelled",
        "cancelled_at",
        lambda d: _("Expert dispatch cancelled"),
        text=lambda d: d.decision_reason,
    ),
    _Event("dispatch_settled", "closed_at", lambda d: _("Expert dispatch settled")),
)


def _visit_entry(dispatch: Dispatch, visit: DispatchVisit, url: str) -> TimelineEntry:
    filed = _("visit report filed") if visit.report_filed_at else _("visit report not filed yet")
    return TimelineEntry(
        kind="dispatch_visit",
        at=_visit_moment(visit),
        obj=dispatch,
        url=url,
        title=_("Expert visit: %(who)s, %(days)s days")
        % {"who": dispatch.expert.name, "days": _days(visit.day_fraction)},
        text=f"{visit.place} · {filed}" if visit.place else filed,
    )


def dispatch_timeline(user: User, case: Case) -> list[TimelineEntry]:
    """Each dispatch's request, decision, visits and end, as the case timeline shows them.

    Drafts stay with their requester until they are sent; an expert's login never sees a
    case page, and the experts policy already left out what `user` may not see.
    """
    entries: list[TimelineEntry] = []
    for dispatch in case_dispatches(user, case):
        url = reverse("experts:dispatch", args=[dispatch.pk])
        entries += [
            TimelineEntry(
                kind=event.kind,
                at=getattr(dispatch, event.at),
                by=event.by(dispatch),
                obj=dispatch,
                title=event.title(dispatch),
                text=event.text(dispatch),
                url=url,
            )
            for event in _EVENTS
            if getattr(dispatch, event.at)
        ]
        if dispatch.status in _VISITED:
            entries += [_visit_entry(dispatch, visit, url) for visit in dispatch.visits.all()]
    return entries


def late_visit_reports(user: User, desk: Desk) -> list[BoardExtra]:
    visits = selectors.late_visit_reports_for_desk(user=user, desk=desk)
    return [
        BoardExtra(
            key="late_visit_reports",
            label=str(gettext_lazy("late visit reports")),
            items=visits,
            overdue=True,
        )
    ]


def register(registry: Registry) -> None:
    registry.add_case_extensions(
        history=history_kind(
            "dispatches",
            gettext_lazy("dispatch"),
            selectors.dispatch_get_for_user,
            lambda dispatch: dispatch.case,
        ),
        personal_data=PersonalDataSource(key="dispatches", rows=dispatch_personal_data, order=30),
        timeline=dispatch_timeline,
        panel=CasePanel("dispatches", "experts/_case_panel.html", dispatch_panel, order=30),
        board_extras=late_visit_reports,
        close_blocker=selectors.open_dispatch_blocker,
    )
    registry.add_attachment_host(
        AttachmentHost(
            key="visit",
            visible=lambda user: selectors.visit_list_for_user(user=user),
            get=lambda user, pk: selectors.visit_get_for_user(user=user, pk=pk),
            lock=_locked_visit,
            can_attach=policy.can_attach_to_visit,
            case_of=lambda visit: visit.dispatch.case,
            url=lambda visit: reverse("experts:visit_report", args=[visit.pk]),
            rule=policy.VISIT_FILES_RULE,
        )
    )


def _locked_visit(visit: DispatchVisit) -> DispatchVisit:
    """The visit re-read under a lock, with the dispatch its rule reads."""
    return (
        DispatchVisit.objects.select_for_update(no_key=True, of=("self",))
        .select_related("dispatch__program", "dispatch__case")
        .get(pk=visit.pk)
    )


def dispatch_personal_data(client: Any) -> Iterator[dict[str, Any]]:
    """The dispatches to the client's cases and their visits, for the APPI export
    (docs/security.md, "APPI")."""
    dispatches = Dispatch.objects.filter(case__client=client).prefetch_related("visits")
    for dispatch in dispatches.order_by("pk"):
        yield record(dispatch) | {
            "visits": [record(visit) for visit in dispatch.visits.all().order_by("pk")]
        }

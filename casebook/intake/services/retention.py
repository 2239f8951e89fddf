"""The retention run (docs/security.md, "Retention"): a client with no activity for
`CASEBOOK_RETENTION_YEARS` loses its personal data, and every report's totals stay the same.

What goes: the client's name, kana, corporate number, representative, address, phone and
e-mail; its contacts; the free text of its cases and sessions (titles, summaries, advice,
attendees, closure summaries); what other apps hold about it (their registered erasers: the
satellite bookings' names and addresses, the attachments' files). The history rows that held
those values go with them, and each object changed gets ONE new history row saying why.

What stays: every row and every key (client, case, session, outcome, referral, dispatch),
the dates, desks, modes, topics, counselors, industries, sizes and amounts — all that the
reports count — so a report run before and after shows the same totals.

A client is held (never anonymised) while it has a case that is not closed, or a case on the
exit track, or any activity (a case opened or closed, a session, an outcome, the client
registered) after the cut-off.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from casebook.common.extensions import registry
from casebook.common.models import lock_row, save_tracked
from casebook.intake.models import (
    Case,
    CaseStatus,
    Client,
    ClientContact,
    ClientOutcome,
    ConsultationSession,
)

if TYPE_CHECKING:
    from casebook.accounts.models import User

REASON = "retention: personal data anonymised"
PLACEHOLDER = "(匿名化済み)"
CLIENT_CLEARED = (
    "name_kana",
    "corporate_number",
    "representative",
    "postal_code",
    "municipality",
    "address",
    "phone",
    "email",
    "name_kana_search",
    "phone_digits",
)
SESSION_TEXT = ("summary", "advice", "client_next_actions", "our_next_actions")


def retention_cutoff(*, years: int, now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def clients_due(*, cutoff: dt.datetime) -> QuerySet[Client]:
    """The clients not yet anonymised with no activity since `cutoff` and no hold."""
    cases = Case.objects.filter(client_id__isnull=False)
    active = (
        Q(created_at__gte=cutoff)
        | Q(
            pk__in=cases.filter(
                Q(opened_at__gte=cutoff)
                | Q(closed_at__gte=cutoff)
                | ~Q(status=CaseStatus.CLOSED)
                | Q(on_exit_track=True)
            ).values("client_id")
        )
        | Q(
            pk__in=ConsultationSession.objects.filter(
                started_at__gte=cutoff, case__client_id__isnull=False
            ).values("case__client_id")
        )
        | Q(pk__in=ClientOutcome.objects.filter(reported_on__gte=cutoff.date()).values("client_id"))
    )
    return Client.objects.filter(anonymised_at__isnull=True).exclude(active).order_by("pk")


def _forget_history(model: type, pks: list[int]) -> None:
    """The history rows that still hold the personal data are deleted."""
    if pks:
        model.history.model.objects.filter(id__in=pks).delete()


@transaction.atomic
def client_anonymise(*, client: Client, by: User | None, cutoff: dt.datetime) -> int | None:
    """Anonymise `client` if it is still due (re-checked under its lock); the number of
    objects changed, or None when it is held or already done."""
    client = lock_row(Client, client.pk)
    if not clients_due(cutoff=cutoff).filter(pk=client.pk).exists():
        return None
    changed = 0
    cases = list(Case.objects.filter(client=client).order_by("pk"))
    sessions = list(ConsultationSession.objects.filter(case__client=client).order_by("pk"))
    contacts = ClientContact.objects.filter(client=client)
    _forget_history(ClientContact, list(contacts.values_list("pk", flat=True)))
    changed += contacts.delete()[0]

    _forget_history(Client, [client.pk])
    client.name = f"{PLACEHOLDER} #{client.pk}"
    client.name_search = client.name
    for name in CLIENT_CLEARED:
        setattr(client, name, "")
    client.anonymised_at = timezone.now()
    save_tracked(
        client,
        by=by,
        update_fields=["name", "name_search", *CLIENT_CLEARED, "anonymised_at"],
        reason=REASON,
    )
    changed += 1

    _forget_history(Case, [case.pk for case in cases])
    for case in cases:
        case.title = f"{PLACEHOLDER} {case.number}"
        case.closure_summary = PLACEHOLDER if case.closure_summary else ""
        save_tracked(case, by=by, update_fields=["title", "closure_summary"], reason=REASON)
        changed += 1

    _forget_history(ConsultationSession, [session.pk for session in sessions])
    for session in sessions:
        session.client_attendees = ""
        for name in SESSION_TEXT:
            setattr(session, name, PLACEHOLDER if getattr(session, name) else "")
        save_tracked(
            session,
            by=by,
            update_fields=["client_attendees", *SESSION_TEXT],
            reason=REASON,
        )
        changed += 1

    changed += registry.erase_personal_data(client)
    return changed

"""Reads of clients, cases and sessions, already filtered by the visibility policy."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.japanese import normalize_text, phone_digits, search_key
from casebook.intake import policy
from casebook.intake.models import AccessLog, Case, Client, ConsultationSession


def case_list_for_user(user: User) -> QuerySet[Case]:
    return policy.cases_visible_to(user).select_related(
        "desk", "client", "lead_counselor", "intake_office"
    )


def case_get_for_user(user: User, pk: int, *, write: bool = False, via: str = "web") -> Case:
    """The case if `user` may see it, else 404. `write=True` locks the row for an update.

    Reads of a restricted case are written to the access log (DESIGN §9).
    """
    queryset = policy.cases_visible_to(user).select_related("desk", "client", "lead_counselor")
    if write:
        queryset = queryset.select_for_update(of=("self",))
    try:
        case = queryset.get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("no such case") from None
    if case.confidentiality == "restricted":
        AccessLog.objects.create(user=user, case=case, via=via)
    return case


def access_log_list_reads(user: User, cases: list[Case], *, via: str) -> None:
    """A list that shows restricted cases is a read of each of them (one insert a page)."""
    rows = [
        AccessLog(user=user, case=case, via=via)
        for case in cases
        if case.confidentiality == "restricted"
    ]
    if rows:
        AccessLog.objects.bulk_create(rows)


def case_get_by_number_for_user(user: User, number: str) -> Case:
    pk = policy.cases_visible_to(user).filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404("no such case")
    return case_get_for_user(user, pk)


def client_list_for_user(user: User) -> QuerySet[Client]:
    """Client records are shared by every desk (search-or-create at intake needs them all)."""
    if not policy.is_staff_member(user):
        return Client.objects.none()
    return Client.objects.all()


def client_get_for_user(user: User, pk: int) -> Client:
    try:
        return client_list_for_user(user).get(pk=pk)
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404("no such client") from None


def client_search(user: User, text: str) -> QuerySet[Client]:
    """Kanji, kana (hiragana = katakana), 法人番号 or phone; partial matches."""
    key = search_key(text)
    if not key:
        return client_list_for_user(user).none()
    condition = Q(name_search__contains=key) | Q(name_kana_search__contains=key)
    digits = phone_digits(text)
    if len(digits) >= 4:
        condition |= Q(phone_digits__contains=digits)
    if normalize_text(text).isdigit():
        condition |= Q(corporate_number__startswith=normalize_text(text))
    return client_list_for_user(user).filter(condition)


def client_duplicates(
    *, name: str, phone: str = "", corporate_number: str = "", exclude_pk: int | None = None
) -> QuerySet[Client]:
    """Existing clients an intake might be about to duplicate (same 法人番号, or name + phone)."""
    condition = Q(pk__in=[])
    number = normalize_text(corporate_number)
    if number:
        condition |= Q(corporate_number=number)
    digits = phone_digits(phone)
    if name and digits:
        condition |= Q(name_search=search_key(name), phone_digits=digits)
    queryset = Client.objects.filter(condition)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset


def cases_of_client_for_user(user: User, client: Client) -> QuerySet[Case]:
    return case_list_for_user(user).filter(client=client)


def session_list_for_user(user: User) -> QuerySet[ConsultationSession]:
    """Sessions of the cases the user may see."""
    return ConsultationSession.objects.filter(
        case__in=policy.cases_visible_to(user).values("pk")
    ).select_related("case", "case__desk", "office")


def session_get_for_user(user: User, pk: int) -> ConsultationSession:
    try:
        session = session_list_for_user(user).get(pk=pk)
    except (ConsultationSession.DoesNotExist, ValueError, TypeError):
        raise Http404("no such session") from None
    if session.case.confidentiality == "restricted":
        AccessLog.objects.create(user=user, case=session.case, via="session")
    return session


def ip_grace_period_alerts(user: User, *, today: dt.date | None = None) -> list[dict]:
    """Open IP cases whose novelty grace period ends within 60 days, soonest first."""
    from casebook.intake.services.desk_details import (
        GRACE_PERIOD_ALERT_DAYS,
        grace_period_deadline,
    )

    today = today or timezone.localdate()
    horizon = max(GRACE_PERIOD_ALERT_DAYS)
    candidates = (
        case_list_for_user(user)
        .filter(ip__invention_disclosed_on__isnull=False)
        .exclude(status="closed")
        .select_related("ip")
    )
    alerts = []
    for case in candidates:
        deadline = grace_period_deadline(case.ip.invention_disclosed_on)
        days_left = (deadline - today).days
        if 0 <= days_left <= horizon:
            alerts.append(
                {
                    "case": case,
                    "deadline": deadline,
                    "days_left": days_left,
                    "urgent": days_left <= min(GRACE_PERIOD_ALERT_DAYS),
                }
            )
    return sorted(alerts, key=lambda alert: alert["deadline"])

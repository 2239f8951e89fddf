"""Reads of consultation sessions, through the cases their reader may see."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404

from casebook.accounts.models import User
from casebook.common.japanese import normalize_text, search_key
from casebook.common.lookups import in_ids
from casebook.common.models import in_link_order
from casebook.common.search import text_matches
from casebook.intake import policy
from casebook.intake.models import Case, ConsultationSession, Topic


def session_list_for_user(*, user: User) -> QuerySet[ConsultationSession]:
    """Sessions of the cases the user may see.

    The visibility rule is read on each session's own row (`policy.visible_sessions_q`: the
    copies of its case's desk and confidentiality, its case's id), not as a set of visible
    cases computed first: a page newest first then walks the sessions' date index, stops
    after the page, and joins the case for the page's rows only (docs/performance.md, "The
    small desk's sessions").
    """
    return ConsultationSession.objects.filter(policy.visible_sessions_q(user)).select_related(
        "case", "case__desk", "office"
    )


def session_rows_for_user(*, user: User) -> QuerySet[ConsultationSession]:
    """The sessions `user` may see, as the sessions API lists them.

    Of the case row joined to each listed session, only what a row needs is read: the case's
    number (shown) and its confidentiality (a restricted read is logged). The desk and office
    rows are not joined: a row shows their ids. `session_list_for_user` joins and builds all
    three, with every column, for each session (docs/performance.md, "The lists' Python").
    """
    return policy.per_viewer(user, ("session_rows",), lambda: _session_rows(user)).all()


def _session_rows(user: User) -> QuerySet[ConsultationSession]:
    # Built once per login's facts (`policy.per_viewer`), as `cases._case_rows`.
    own = [field.name for field in ConsultationSession._meta.concrete_fields]
    return (
        ConsultationSession.objects.filter(policy.visible_sessions_q(user))
        .select_related("case")
        .only(*own, "case__number", "case__confidentiality")
    )


def session_counselor_ids(*, session_ids: list[int]) -> QuerySet:
    """`(session id, counselor id)` of the sessions, in the order they were named (the
    link's id), as every page lists them (`casebook.common.models.link_order`)."""
    return (
        ConsultationSession.counselors.through.objects.filter(
            in_ids("consultationsession__id", session_ids)
        )
        .order_by("id")
        .values_list("consultationsession_id", "user_id")
    )


def session_topic_codes(*, session_ids: list[int]) -> QuerySet:
    """`(session id, topic code)` of the sessions, in the topics' order (as their prefetch)."""
    return Topic.objects.filter(in_ids("sessions__id", session_ids)).values_list("sessions", "code")


def sessions_matching(
    sessions: QuerySet[ConsultationSession], text: str
) -> QuerySet[ConsultationSession]:
    """Of `sessions`, those whose summary or advice holds `text` (kana folded, served by the
    gram indexes: docs/performance.md, "Search"), or whose case's number does."""
    if not search_key(text):
        return sessions.none()
    condition = text_matches("summary", text) | text_matches("advice", text)
    plain = normalize_text(text)
    if any(ch.isdigit() for ch in plain):
        condition |= Q(case__number__icontains=plain)
    return sessions.filter(condition)


def session_get_for_user(*, user: User, pk: Any) -> ConsultationSession:
    """The session if `user` may see its case, else 404."""
    try:
        return session_list_for_user(user=user).get(pk=pk)
    except (ConsultationSession.DoesNotExist, ValueError, TypeError):
        raise Http404("no such session") from None


def session_page_get_for_user(*, user: User, pk: Any) -> ConsultationSession:
    """The session as its correction page shows it: its case with the client, the lead and
    the co-counselors, its own counselors and topics (404 as `session_get_for_user`)."""
    try:
        return (
            session_list_for_user(user=user)
            .select_related("case__client", "case__lead_counselor")
            .prefetch_related(
                in_link_order("counselors", ConsultationSession.counselors),
                "topics",
                in_link_order("case__co_counselors", Case.co_counselors),
            )
            .get(pk=pk)
        )
    except (ConsultationSession.DoesNotExist, ValueError, TypeError):
        raise Http404("no such session") from None


def sessions_apart_from_their_case() -> QuerySet[ConsultationSession]:
    """Sessions whose desk, client or confidentiality is not their case's (none, when every
    writer keeps them: docs/performance.md, "The FY KPI report", "The small desk's
    sessions"). For the operators' check (`manage.py check_session_keys`) and the tests; no
    reader sees sessions through it."""
    client_differs = (
        Q(client__isnull=True, case__client__isnull=False)
        | Q(client__isnull=False, case__client__isnull=True)
        | (~Q(client_id=F("case__client_id")) & Q(client__isnull=False))
    )
    return ConsultationSession.objects.filter(
        ~Q(desk_id=F("case__desk_id"))
        | client_differs
        | ~Q(case_confidentiality=F("case__confidentiality"))
    )

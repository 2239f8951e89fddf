"""Closed cases to survey and satisfaction surveys as the reports read them."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

from django.utils import timezone

from casebook.reports.models import SatisfactionSurvey
from tests.factories.core import CaseFactory, ClientFactory

__all__ = ["closed_case", "survey_row"]

_TOKENS = itertools.count(1)


def closed_case(closed_at: dt.datetime, *, email: str = "client@example.jp", **kwargs: Any):
    """A case closed (resolved unless told) at `closed_at`, its client reachable at `email`."""
    client = kwargs.pop("client", None) or ClientFactory(email=email)
    return CaseFactory(
        client=client,
        status="closed",
        opened_at=kwargs.pop("opened_at", closed_at - dt.timedelta(days=30)),
        closed_at=closed_at,
        closure_reason=kwargs.pop("closure_reason", "resolved"),
        closure_summary=kwargs.pop("closure_summary", "解決した"),
        **kwargs,
    )


def survey_row(
    *,
    sent_at: dt.datetime,
    score: int | None = None,
    comment: str = "",
    case: Any = None,
    counselor: Any = None,
    **case_kwargs: Any,
) -> SatisfactionSurvey:
    """A survey as the job leaves it (answered when `score` is given), of `case` or of a new
    closed case (`case_kwargs`: its desk, confidentiality …)."""
    if case is None:
        case = closed_case(sent_at - dt.timedelta(days=7), lead_counselor=counselor, **case_kwargs)
    return SatisfactionSurvey.objects.create(
        case=case,
        desk_id=case.desk_id,
        counselor_id=case.lead_counselor_id,
        consultation_month=timezone.localdate(case.closed_at).replace(day=1),
        closed_at=case.closed_at,
        token_hash=hashlib.sha256(f"test-{next(_TOKENS)}".encode()).hexdigest(),
        sent_at=sent_at,
        answered_at=None if score is None else sent_at + dt.timedelta(days=1),
        score=score,
        comment=comment,
    )

"""The writers of a case's sessions, called as the tests of the columns they keep in step
call them: the sessions' copies of their case's keys (`test_session_keys.py`), the case's
next follow-up (`test_case_follow_up.py`), the case's search grams
(`test_case_search_grams.py`) and the merge races (`test_concurrency.py`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.test import RequestFactory
from django.utils import timezone

from casebook.accounts.models import User
from casebook.intake import services
from casebook.intake.models import Case, ConsultationSession
from tests.factories import case_in_state


def log_session(
    case: Case,
    by: User,
    *,
    hours_ago: float = 1,
    summary: str = "資金繰りの相談",
    follow_up_on: dt.date | None = None,
    mode: str = "phone",
) -> ConsultationSession:
    return services.session_log(
        case=case,
        by=by,
        started_at=timezone.now() - dt.timedelta(hours=hours_ago),
        duration_minutes=30,
        mode=mode,
        summary=summary,
        follow_up_on=follow_up_on,
    )


def duplicate_and_survivor(
    cast: Any, *, duplicate: dict[str, Any] | None = None, survivor: dict[str, Any] | None = None
) -> tuple[Case, Case]:
    """An active case (with its first session) and an assigned case of the same client, both
    led by the counselor: the duplicate and the survivor of a merge still to come."""
    first = case_in_state("active", lead=cast.counselor, by=cast.coordinator, **(duplicate or {}))
    second = case_in_state(
        "assigned",
        lead=cast.counselor,
        by=cast.coordinator,
        client=first.client,
        **(survivor or {}),
    )
    return first, second


def merge(duplicate: Case, survivor: Case, *, by: User) -> Case:
    return services.case_close(
        case=duplicate, by=by, reason="duplicate", summary="重複登録", duplicate_of=survivor
    )


def save_in_admin(obj: Model, *, by: User, changed: Iterable[str], change: bool = True) -> None:
    """What the admin's change form does with `obj` once `changed` fields were edited."""
    model_admin = admin.site._registry[type(obj)]
    form = SimpleNamespace(changed_data=list(changed))
    model_admin.save_model(_admin_request(by), obj, form, change)


def delete_in_admin(obj: Model, *, by: User) -> None:
    admin.site._registry[type(obj)].delete_model(_admin_request(by), obj)


def _admin_request(user: User):
    request = RequestFactory().post("/admin/")
    request.user = user
    return request

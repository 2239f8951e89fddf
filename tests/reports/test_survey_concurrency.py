"""Once means once with real parallel transactions (PostgreSQL): two job runs send one
survey mail, two answers at the same moment record one (docs/reports.md, "Satisfaction
survey")."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from casebook.common.errors import ConflictError
from casebook.intake.services import case_reopen
from casebook.notifications.models import Notification
from casebook.notifications.services import reminders_run
from casebook.reports.models import SatisfactionSurvey
from casebook.reports.services import survey_answer, survey_send
from tests.concurrency import run_together
from tests.factories import closed_case
from tests.markers import needs_postgres
from tests.reports.conftest import at

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SURVEY_DAY = dt.date(2026, 6, 17)


def test_parallel_job_runs_mail_each_survey_once(cast):
    for n in range(3):
        closed_case(at(2026, 6, 10, 9 + n), lead_counselor=cast.counselor)

    results, errors = run_together([lambda: reminders_run(today=SURVEY_DAY) for _ in range(4)])

    assert errors == []
    assert sum(outcome.errors for outcome in results) == 0
    assert SatisfactionSurvey.objects.count() == 3
    assert len(mail.outbox) == 3
    assert len({message.body for message in mail.outbox}) == 3


def test_parallel_sends_of_one_case_make_one_survey(cast):
    case = closed_case(at(2026, 6, 10), lead_counselor=cast.counselor)

    results, errors = run_together([lambda: survey_send(case_id=case.pk) for _ in range(4)])

    assert errors == []
    assert sum(result is not None for result in results) == 1
    assert len(mail.outbox) == 1


def test_a_case_reopened_while_the_job_runs_is_either_surveyed_and_announced_or_neither(cast):
    case = closed_case(at(2026, 6, 10), lead_counselor=cast.counselor)

    _results, errors = run_together(
        [
            lambda: reminders_run(today=SURVEY_DAY),
            lambda: case_reopen(case=case, by=cast.coordinator, reason="the client called back"),
        ]
    )

    assert errors == []
    sent = SatisfactionSurvey.objects.filter(case=case).exists()
    told = Notification.objects.filter(kind="satisfaction_survey", subject_id=case.pk).exists()
    assert sent == told
    assert len(mail.outbox) == int(sent)


def test_two_answers_at_once_record_the_first_and_overwrite_nothing(cast):
    case = closed_case(at(2026, 6, 10), lead_counselor=cast.counselor)
    survey_send(case_id=case.pk)
    token = re.search(r"/survey/([\w-]+)/", mail.outbox[0].body).group(1)

    results, errors = run_together(
        [
            lambda score=score: survey_answer(token=token, score=score, comment=f"回答{score}")
            for score in (1, 5)
        ]
    )

    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], ConflictError)
    survey = SatisfactionSurvey.objects.get(case=case)
    assert survey.comment == f"回答{survey.score}"
    assert survey.history.filter(history_change_reason="answered by the client").count() == 1

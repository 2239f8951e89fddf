"""The satisfaction survey is mailed once, N days after a case closed, by the reminder job
(docs/reports.md, "Satisfaction survey")."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from casebook.intake.models import ClientContact
from casebook.notifications.models import Notification
from casebook.notifications.services import reminders_run
from casebook.notifications.services.reminders import reminder_send
from casebook.reports.models import SatisfactionSurvey
from casebook.reports.reminders import survey_occasions
from casebook.reports.services import survey_send
from tests.factories import SessionFactory, closed_case, desk
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db

CLOSED = at(2026, 6, 10, 16)  # Wednesday; the survey is due 7 days later, on 17 June


def run(day: dt.date, capture) -> None:
    with capture(execute=True):
        reminders_run(today=day)


def test_the_survey_is_mailed_n_days_after_closure_and_not_before(
    cast, django_capture_on_commit_callbacks
):
    case = closed_case(CLOSED, lead_counselor=cast.counselor, title="秘密の新規事業")

    run(dt.date(2026, 6, 16), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not SatisfactionSurvey.objects.exists()

    run(dt.date(2026, 6, 17), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["client@example.jp"]
    assert "よろず" in message.subject or desk("yorozu").name in message.subject
    assert "秘密の新規事業" not in message.subject + message.body
    assert re.search(r"/survey/[\w-]{40,}/", message.body)
    survey = SatisfactionSurvey.objects.get(case=case)
    assert survey.desk_id == case.desk_id
    assert survey.counselor_id == cast.counselor.pk
    assert survey.answered_at is None


def test_a_second_run_and_a_later_one_send_no_second_mail(cast, django_capture_on_commit_callbacks):
    closed_case(CLOSED, lead_counselor=cast.counselor)
    for day in (dt.date(2026, 6, 17), dt.date(2026, 6, 17), dt.date(2026, 6, 20)):
        run(day, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert SatisfactionSurvey.objects.count() == 1


def test_a_stopped_scheduler_catches_up_within_its_window_only(
    cast, django_capture_on_commit_callbacks
):
    closed_case(CLOSED, lead_counselor=cast.counselor)
    closed_case(at(2026, 5, 1), lead_counselor=cast.counselor)  # due 8 May: too old by 22 June

    run(dt.date(2026, 6, 22), django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1


def test_the_days_after_closure_come_from_the_setting(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.CASEBOOK_SURVEY_DAYS_AFTER_CLOSURE = 3
    closed_case(CLOSED, lead_counselor=cast.counselor)
    run(dt.date(2026, 6, 12), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    run(dt.date(2026, 6, 13), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_the_primary_contact_gets_the_mail_when_it_has_an_address(
    cast, django_capture_on_commit_callbacks
):
    case = closed_case(CLOSED, lead_counselor=cast.counselor)
    ClientContact.objects.create(
        client=case.client, name="山田", email="yamada@example.jp", is_primary=True
    )
    run(dt.date(2026, 6, 17), django_capture_on_commit_callbacks)
    assert mail.outbox[0].to == ["yamada@example.jp"]


@pytest.mark.parametrize(
    "how",
    [
        {"email": ""},
        {"confidentiality": "restricted"},
        {"on_exit_track": True},
        {"closure_reason": "duplicate"},
        {"closure_reason": "withdrawn"},
        {"client": None},
    ],
    ids=["no address", "restricted", "exit track", "duplicate", "withdrawn", "anonymous"],
)
def test_some_closed_cases_get_no_survey(cast, how, django_capture_on_commit_callbacks):
    if how == {"client": None}:
        case = closed_case(CLOSED, lead_counselor=cast.counselor)
        case.client = None
        case.save(update_fields=["client"])
    else:
        closed_case(CLOSED, lead_counselor=cast.counselor, **how)
    run(dt.date(2026, 6, 17), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not SatisfactionSurvey.objects.exists()


def test_a_case_reopened_before_its_survey_day_is_surveyed_after_it_closes_again(
    cast, django_capture_on_commit_callbacks
):
    case = closed_case(CLOSED, lead_counselor=cast.counselor)
    case.status, case.closed_at = "active", None
    case.save(update_fields=["status", "closed_at"])
    run(dt.date(2026, 6, 17), django_capture_on_commit_callbacks)
    assert mail.outbox == []

    case.status, case.closed_at = "closed", at(2026, 6, 20)
    case.save(update_fields=["status", "closed_at"])
    run(dt.date(2026, 6, 27), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_the_lead_counselor_is_told_the_survey_went_out(cast, django_capture_on_commit_callbacks):
    case = closed_case(CLOSED, lead_counselor=cast.counselor)
    run(dt.date(2026, 6, 17), django_capture_on_commit_callbacks)
    notice = Notification.objects.get(kind="satisfaction_survey")
    assert (notice.recipient_id, notice.subject_id) == (cast.counselor.pk, case.pk)


def test_a_case_reopened_between_the_job_finding_it_and_the_send_tells_nobody(
    cast, django_capture_on_commit_callbacks
):
    case = closed_case(CLOSED, lead_counselor=cast.counselor)
    (occasion,) = survey_occasions(dt.date(2026, 6, 17), dt.date(2026, 6, 17))
    case.status, case.closed_at = "active", None
    case.save(update_fields=["status", "closed_at"])

    with django_capture_on_commit_callbacks(execute=True):
        reminder_send(reminder=occasion)

    assert not SatisfactionSurvey.objects.exists()
    assert mail.outbox == []
    assert not Notification.objects.filter(kind="satisfaction_survey").exists()


def test_sending_the_survey_itself_tells_the_lead_counselor(
    cast, django_capture_on_commit_callbacks
):
    case = closed_case(CLOSED, lead_counselor=cast.counselor)
    with django_capture_on_commit_callbacks(execute=True):
        survey_send(case_id=case.pk)
        survey_send(case_id=case.pk)

    notice = Notification.objects.get(kind="satisfaction_survey")
    assert (notice.recipient_id, notice.subject_id) == (cast.counselor.pk, case.pk)


def test_the_survey_names_the_month_of_the_latest_session(cast):
    case = closed_case(CLOSED, lead_counselor=cast.counselor)
    SessionFactory(case=case, started_at=at(2026, 4, 3))
    SessionFactory(case=case, started_at=at(2026, 5, 28))
    survey = survey_send(case_id=case.pk)
    assert survey.consultation_month == dt.date(2026, 5, 1)


def test_sending_twice_for_one_case_makes_one_survey(cast, django_capture_on_commit_callbacks):
    case = closed_case(CLOSED, lead_counselor=cast.counselor)
    with django_capture_on_commit_callbacks(execute=True):
        first = survey_send(case_id=case.pk)
        second = survey_send(case_id=case.pk)
    assert first is not None and second is None
    assert len(mail.outbox) == 1

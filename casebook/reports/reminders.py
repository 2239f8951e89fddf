"""The satisfaction survey as a reminder source (docs/reports.md, "Satisfaction survey").

`CASEBOOK_SURVEY_DAYS_AFTER_CLOSURE` days after a case closed, the reminder job's occasion
`satisfaction_survey:case=<id>` sends its client the survey (once per case: the job records
the key once, and `survey_send` finds a survey already there). The occasion itself notifies
nobody: `survey_send` tells the lead counselor when, after its check under the case's lock,
it sends the survey (a case reopened in between is neither surveyed nor announced).
A run looks back the job's catch-up window like every reminder; older closures are not
surveyed late. Registered in `ReportsConfig.ready()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.days import on_days
from casebook.common.extensions import Reminder, ReminderKind
from casebook.intake.models import Case
from casebook.reports.models import SatisfactionSurvey
from casebook.reports.services.surveys import (
    SURVEY_SENT_KIND,
    survey_send,
    surveyable_cases_q,
)

if TYPE_CHECKING:
    from casebook.common.extensions import Registry

SURVEY_SENT = ReminderKind(
    SURVEY_SENT_KIND, gettext_lazy("satisfaction survey sent to the client"), order=90
)


def survey_occasions(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    """The closed cases whose survey day (closure + N days) lies in the window."""
    days = dt.timedelta(days=settings.CASEBOOK_SURVEY_DAYS_AFTER_CLOSURE)
    cases = (
        Case.objects.filter(
            surveyable_cases_q(),
            on_days("closed_at", first_day - days, today - days),
        )
        .exclude(Exists(SatisfactionSurvey.objects.filter(case_id=OuterRef("pk"))))
        .only("pk", "closed_at")
        .order_by("closed_at", "pk")
    )
    for case in cases:
        yield SURVEY_SENT.occasion(
            f"case={case.pk}",
            subject=case,
            recipient_ids=(),
            due_on=timezone.localdate(case.closed_at) + days,
            params={},
            on_fire=partial(survey_send, case_id=case.pk),
        )


def survey_sent_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: the client was sent the satisfaction survey") % {"subject": subject}


def register(registry: Registry) -> None:
    registry.add_reminder_source(SURVEY_SENT.source(survey_occasions, survey_sent_text))

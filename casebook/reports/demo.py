"""Demo data of the reports: the FY2021 plan's targets, carried over as this year's plan, and
satisfaction surveys of the demo's closed cases (some answered)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.utils import timezone

from casebook.common.demo import DemoContext
from casebook.common.fiscal import fiscal_year_of
from casebook.intake.models import Case
from casebook.reports.models import SatisfactionSurvey
from casebook.reports.plan_fy2021 import FY2021_TARGETS, PLAN_FISCAL_YEAR
from casebook.reports.services import plan_targets_carry_over, plan_targets_load
from casebook.reports.services.surveys import survey_of_case, surveyable_cases_q

DEMO_SURVEYS = 40
DEMO_COMMENTS = (
    "丁寧に相談に乗っていただき、ありがとうございました。",
    "具体的な助言で次の一手が見えました。",
    "もう少し早く回答をいただけると助かります。",
    "",
    "",
)


def seed(ctx: DemoContext) -> None:
    plan_targets_load(fiscal_year=PLAN_FISCAL_YEAR, targets=FY2021_TARGETS, by=None)
    this_year = fiscal_year_of(ctx.today)
    if this_year != PLAN_FISCAL_YEAR:
        plan_targets_carry_over(from_year=PLAN_FISCAL_YEAR, to_year=this_year, by=None)
    ctx.log(f"plan: the FY{PLAN_FISCAL_YEAR} targets, also as FY{this_year}'s plan")
    seed_surveys(ctx)


def seed_surveys(ctx: DemoContext) -> None:
    """Surveys of the latest closed cases that may be surveyed, as if the job had sent them
    (no mail: the demo's addresses are invented); about two in three answered. A case with
    a survey is left as it is, so a second run adds nothing."""
    days = dt.timedelta(days=settings.CASEBOOK_SURVEY_DAYS_AFTER_CLOSURE)
    now = timezone.now()
    cases = (
        Case.objects.filter(surveyable_cases_q(), closed_at__lte=now - days)
        .order_by("-closed_at", "pk")
        .select_related("client")[:DEMO_SURVEYS]
    )
    created = 0
    for case in cases:
        if SatisfactionSurvey.objects.filter(case_id=case.pk).exists():
            continue
        # Seeded from the case number: the same answers whichever run creates them.
        pick = int(hashlib.sha256(case.number.encode()).hexdigest()[:8], 16)
        sent_at = case.closed_at + days
        answered = pick % 3 != 0
        survey = survey_of_case(
            case,
            token_hash=hashlib.sha256(f"demo:{case.number}".encode()).hexdigest(),
            sent_at=sent_at,
        )
        if answered:
            survey.answered_at = min(sent_at + dt.timedelta(days=1 + pick % 5), now)
            survey.score = (5, 5, 4, 4, 4, 3, 2, 1)[pick % 8]
            survey.acted_on_advice = pick % 2 == 0
            survey.got_results = pick % 4 == 0
            survey.comment = DEMO_COMMENTS[pick % len(DEMO_COMMENTS)]
        survey._history_user = None
        survey.save()
        created += 1
    ctx.log(f"satisfaction surveys: {created} new")

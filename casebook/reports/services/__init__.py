"""Every write of the reports (docs/architecture.md, "Services")."""

from casebook.reports.services.activities import (
    Participant,
    activity_create,
    activity_participant_add,
    activity_participant_remove,
    activity_update,
)
from casebook.reports.services.outcomes import outcome_record
from casebook.reports.services.plan import plan_targets_carry_over, plan_targets_load
from casebook.reports.services.surveys import (
    SurveyLinkInvalid,
    survey_answer,
    survey_for_token,
    survey_send,
)

__all__ = [
    "Participant",
    "SurveyLinkInvalid",
    "activity_create",
    "activity_participant_add",
    "activity_participant_remove",
    "activity_update",
    "outcome_record",
    "plan_targets_carry_over",
    "plan_targets_load",
    "survey_answer",
    "survey_for_token",
    "survey_send",
]

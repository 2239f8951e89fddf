"""The satisfaction survey's public page `/survey/<token>/` (no login, always Japanese,
docs/reports.md "Satisfaction survey").

GET shows the questions; POST answers once (CSRF-protected like every form, and limited per
address and hour like the public booking form). An answered survey shows a polite "already
answered" page (200) and keeps the first answer; an unknown, expired or closed link a polite
404 page. The page names the organisation, the desk and the month of the consultation —
never the case, its title or the counselor's notes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from casebook.accounts.lockout import client_ip
from casebook.common.errors import ConflictError
from casebook.common.web import always_japanese, apply_service_errors, over_hourly_limit
from casebook.reports import services
from casebook.reports.forms import SurveyForm
from casebook.reports.models import SatisfactionSurvey


def _over_rate_limit(request: HttpRequest) -> bool:
    """Count this answer for the address (the one the login lockout counts, docs/security.md
    finding 5); True past the hourly limit."""
    return over_hourly_limit(
        f"reports:survey-rate:{client_ip(request)}", settings.CASEBOOK_SURVEY_RATE_PER_HOUR
    )


def _about(survey: SatisfactionSurvey) -> dict[str, Any]:
    return {
        "organisation": settings.CASEBOOK_ORGANISATION,
        "desk": survey.desk.name,
        "month": survey.consultation_month,
    }


def _page(
    request: HttpRequest, name: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"reports/survey/{name}.html", context, status=status)


@always_japanese
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = services.survey_for_token(token=token)
    except services.SurveyLinkInvalid:
        return _page(request, "closed", {}, status=404)
    about = _about(survey)
    if survey.answered_at is not None:
        return _page(request, "answered", about)
    if request.method == "GET":
        return _page(request, "form", {**about, "form": SurveyForm()})
    if _over_rate_limit(request):
        return _page(
            request,
            "form",
            {**about, "form": SurveyForm(request.POST), "refused": True},
            status=429,
        )
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.survey_answer(token=token, **form.cleaned_data)
        except ConflictError:
            return _page(request, "answered", about)
        except services.SurveyLinkInvalid:
            return _page(request, "closed", {}, status=404)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _page(request, "answered", {**about, "thanks": True})
    return _page(request, "form", {**about, "form": form}, status=400)

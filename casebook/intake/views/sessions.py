"""The session log: one short page that saves a consultation record in one step."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casebook.intake import selectors, services
from casebook.intake.forms import SessionForm
from casebook.intake.views.cases import case_staff, require_offered
from casebook.intake.views.common import (
    apply_service_errors,
    claim_form_token,
    new_form_token,
    release_form_token,
    screen,
    settle_form_token,
)


def _now_rounded() -> dt.datetime:
    now = timezone.localtime().replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=now.minute % 5)


@require_http_methods(["GET", "POST"])
@screen
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get_for_user(request.user, pk)
    require_offered(request.user, case, "log_session")
    staff = case_staff(case, request.user)
    if request.method == "GET":
        form = SessionForm(
            initial={
                "form_token": new_form_token(),
                "started_at": _now_rounded(),
                "office": case.intake_office,
                "counselors": [request.user],
                "topics": [t.code for t in case.topics.all()],
            },
            staff=staff,
        )
        return render(request, "intake/session_form.html", {"case": case, "form": form})

    form = SessionForm(request.POST, staff=staff)
    if not form.is_valid():
        return render(request, "intake/session_form.html", {"case": case, "form": form})
    data = form.cleaned_data
    token = data["form_token"]
    first, where = claim_form_token(request, token)
    case_url = reverse("case_detail", args=[case.pk])
    if not first:
        messages.info(request, _("This session was already saved; it was not saved twice."))
        return redirect(where or case_url)
    try:
        services.session_log(
            case=case,
            by=request.user,
            started_at=data["started_at"],
            duration_minutes=data["duration_minutes"],
            mode=data["mode"],
            summary=data["summary"],
            office=data["office"],
            counselors=list(data["counselors"]) or None,
            topics=data["topics"],
            client_attendees=data["client_attendees"],
            advice=data["advice"],
            client_next_actions=data["client_next_actions"],
            our_next_actions=data["our_next_actions"],
            follow_up_on=data["follow_up_on"],
        )
    except ValidationError as error:
        release_form_token(request, token)
        apply_service_errors(form, error)
        return render(request, "intake/session_form.html", {"case": case, "form": form})
    except Exception:
        release_form_token(request, token)
        raise
    settle_form_token(request, token, case_url)
    messages.success(request, _("The session is saved."))
    return redirect(case_url)

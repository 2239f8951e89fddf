"""The session log: one short page that saves a consultation record in one step, and the
same page correcting one (an edit, or an amendment with a reason after 7 days)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from casebook.common.web import form_action, new_form_token, page_view
from casebook.intake import policy, selectors, services
from casebook.intake.forms import SessionEditForm, SessionForm
from casebook.intake.models import ConsultationSession
from casebook.intake.views.cases import case_staff

ALREADY_SAVED = gettext_lazy("This session was already saved; it was not saved twice.")


def _now_rounded() -> dt.datetime:
    now = timezone.localtime().replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=now.minute % 5)


@require_http_methods(["GET", "POST"])
@page_view
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = selectors.case_page_get_for_user(user=user, pk=pk)
    services.access_log_record(user=user, cases=[case], via="web")
    policy.require_offered(user, case, "log_session")
    staff = case_staff(case, user)
    if request.method == "POST":
        form = SessionForm(request.POST, staff=staff)
    else:
        initial = {
            "form_token": new_form_token(),
            "started_at": _now_rounded(),
            "office": case.intake_office,
            "counselors": [user],
            "topics": [topic.code for topic in case.topics.all()],
        }
        form = SessionForm(initial=initial, staff=staff)
    return form_action(
        request,
        form=form,
        perform=lambda data: services.session_log(
            case=case, by=user, **SessionForm.session_fields(data)
        ),
        done=_("The session is saved."),
        success_url=reverse("case_detail", args=[case.pk]),
        render_form=lambda form, status: render(
            request, "intake/session_form.html", {"case": case, "form": form}, status=status
        ),
        once=True,
        replayed=ALREADY_SAVED,
    )


def _session_initial(session: ConsultationSession) -> dict[str, Any]:
    return {
        "form_token": new_form_token(),
        "version": session.version,
        "started_at": timezone.localtime(session.started_at),
        "duration_minutes": session.duration_minutes,
        "mode": session.mode,
        "office": session.office,
        "counselors": list(session.counselors.all()),
        "client_attendees": session.client_attendees,
        "topics": [topic.code for topic in session.topics.all()],
        "summary": session.summary,
        "advice": session.advice,
        "client_next_actions": session.client_next_actions,
        "our_next_actions": session.our_next_actions,
        "follow_up_on": session.follow_up_on,
    }


@require_http_methods(["GET", "POST"])
@page_view
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a session: within 7 days an edit, later an amendment with a reason that the
    timeline shows with the values before and after (the service the API calls too)."""
    user = request.user
    session = selectors.session_page_get_for_user(user=user, pk=pk)
    case = session.case
    services.access_log_record(user=user, cases=[case], via="web")
    policy.require(user, policy.Action.LOG_SESSION, case)
    staff = case_staff(case, *session.counselors.all())
    amendment = session.needs_amendment
    if request.method == "POST":
        form = SessionEditForm(request.POST, staff=staff, amendment=amendment)
    else:
        form = SessionEditForm(initial=_session_initial(session), staff=staff, amendment=amendment)

    def perform(data: dict[str, Any]) -> ConsultationSession:
        fields = SessionEditForm.update_fields(data)
        # The form shows minutes: an untouched time is the stored one, seconds and all.
        if fields["started_at"] == session.started_at.replace(second=0, microsecond=0):
            fields["started_at"] = session.started_at
        return services.session_update(
            session=session,
            by=user,
            expected_version=data["version"],
            reason=data["reason"],
            **fields,
        )

    return form_action(
        request,
        form=form,
        perform=perform,
        done=_("The amendment is saved.") if amendment else _("The session is saved."),
        success_url=reverse("case_detail", args=[case.pk]) + f"#session-{session.pk}",
        render_form=lambda form, status: render(
            request,
            "intake/session_form.html",
            {"case": case, "form": form, "session": session, "amendment": amendment},
            status=status,
        ),
        once=True,
        replayed=ALREADY_SAVED,
    )

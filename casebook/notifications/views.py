"""The inbox, its tray in the nav, e-mail preferences, the digest unsubscribe link and the
record of the scheduled jobs. Rendering only: selectors read, services write, the policy
decides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from casebook.common.web import apply_service_errors, page_view, safe_next
from casebook.intake.services import access_log_record
from casebook.notifications import policy, selectors, services
from casebook.notifications.forms import PreferencesForm
from casebook.notifications.selectors import InboxEntry
from casebook.notifications.services.jobs import scheduled_jobs


def _id_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


def _entries(request: HttpRequest, rows: list) -> list[InboxEntry]:
    """The entries as the user may read them; restricted cases they name are logged."""
    entries = selectors.inbox_entries(user=request.user, notifications=rows)
    access_log_record(
        user=request.user,
        cases=selectors.restricted_cases_shown(user=request.user, entries=entries),
        via="inbox",
        once_a_day=True,
    )
    return entries


@page_view
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    unread = request.GET.get("unread") == "1"
    before_id = _id_or_none(request.GET.get("before"))
    before = (
        selectors.notification_list_for_user(user=user).filter(pk=before_id).first()
        if before_id
        else None
    )
    rows, more = selectors.notification_page(user=user, unread=unread, before=before)
    return render(
        request,
        "notifications/inbox.html",
        {
            "entries": _entries(request, rows),
            "more": more,
            "next_before": rows[-1].pk if rows else None,
            "unread_only": unread,
            "unread": selectors.unread_count(user=user),
            "may_read_job_runs": policy.can_read_job_runs(user),
        },
    )


@page_view
def tray(request: HttpRequest) -> HttpResponse:
    """The nav's list: the newest notifications (a partial the nav loads when opened)."""
    user = request.user
    rows, _more = selectors.notification_page(user=user, size=selectors.TRAY_SIZE)
    return render(
        request,
        "notifications/_tray.html",
        {
            "entries": _entries(request, rows),
            "unread": selectors.unread_count(user=user),
        },
    )


@page_view
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark it read and go to what it is about, if the user may still see it."""
    notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    services.notification_mark_read(notification=notification, by=request.user)
    entry = selectors.inbox_entry_for_user(user=request.user, notification=notification)
    if entry.gone:
        return render(request, "notifications/gone.html", {"entry": entry})
    return redirect(entry.url)


@page_view
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    services.notification_mark_read(notification=notification, by=request.user)
    return redirect(safe_next(request, reverse("notifications:inbox")))


@page_view
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect(safe_next(request, reverse("notifications:inbox")))


@page_view
def preferences(request: HttpRequest) -> HttpResponse:
    settings = selectors.settings_for_user(user=request.user)
    form = PreferencesForm(request.POST or None, settings=settings)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_settings_update(
                user=request.user,
                deliveries=form.deliveries(),
                digest_enabled=form.cleaned_data["digest_enabled"],
                by=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your e-mail preferences are saved."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@csrf_exempt  # the signed token is the authority; mail programs post here (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop the daily digest from the link in it: GET asks, POST does (link scanners GET)."""
    user = services.user_from_unsubscribe_token(token)
    if user is None:
        raise Http404("no such subscription")
    done = False
    if request.method == "POST":
        services.digest_unsubscribe(user=user)
        done = True
    return render(
        request, "notifications/unsubscribe.html", {"done": done, "token": token, "who": user}
    )


@page_view
def job_runs(request: HttpRequest) -> HttpResponse:
    """The record of the scheduled jobs, for administrators, managers and auditors."""
    names = [job.name for job in scheduled_jobs()]
    job = request.GET.get("job", "")
    job = job if job in names else ""
    rows, more = selectors.job_run_page(
        user=request.user, job=job, before=_id_or_none(request.GET.get("before"))
    )
    states = selectors.job_states(user=request.user)
    return render(
        request,
        "notifications/job_runs.html",
        {
            "runs": rows,
            "more": more,
            "next_before": rows[-1].pk if rows else None,
            "job": job,
            "jobs": [(j, states.get(j.name)) for j in scheduled_jobs()],
        },
    )

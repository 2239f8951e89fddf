"""The staff screens of the satellite offices: today at a satellite (a tablet at the
counter: check-in or no-show in two taps), the week per office or counselor, utilisation."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from casebook.common.exports import columns_csv_response
from casebook.common.web import form_action, page_view
from casebook.intake.models import ClientKind
from casebook.intake.selectors.clients import client_get_for_user, client_search
from casebook.satellites import policy, selectors, services


def _date(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return default


def _day_url(booking_or_office, day: dt.date | None = None) -> str:
    office = getattr(getattr(booking_or_office, "slot", None), "office", booking_or_office)
    if day is None:
        day = timezone.localtime(booking_or_office.slot.starts_at).date()
    return reverse("satellites:day", args=[office.code]) + f"?date={day:%Y-%m-%d}"


@page_view
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    offices = selectors.satellite_offices(user=request.user)
    return render(
        request,
        "satellites/index.html",
        {
            "offices": offices,
            "today": timezone.localdate(),
            "can_book": policy.can_book(request.user),
        },
    )


@page_view
@require_http_methods(["GET"])
def day(request: HttpRequest, code: str) -> HttpResponse:
    office = selectors.satellite_office_get(user=request.user, code=code)
    date = _date(request.GET.get("date"), timezone.localdate())
    user = request.user
    rows = [
        (
            slot,
            booking,
            policy.offered_actions(user, booking)
            if booking
            else policy.slot_offered_actions(user, slot, None),
        )
        for slot, booking in selectors.day_schedule(user=user, office=office, day=date)
    ]
    context = {"office": office, "date": date, "rows": rows}
    if request.headers.get("HX-Request"):
        # The live refresh (live.js) re-reads the rows only.
        return render(request, "satellites/day.html#rows", context)
    return render(
        request,
        "satellites/day.html",
        context
        | {
            "previous": date - dt.timedelta(days=1),
            "next": date + dt.timedelta(days=1),
        },
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


@page_view
@require_POST
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    booking = services.booking_no_show(booking=booking, by=request.user, expected_version=version)
    messages.success(request, _("Recorded as a no-show: %(name)s") % {"name": booking.company_name})
    return redirect(_day_url(booking))


NEW_CLIENT = "new"


class CheckInForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    client = forms.ChoiceField(label=gettext_lazy("Client"), widget=forms.RadioSelect)
    new_client_kind = forms.ChoiceField(
        label=gettext_lazy("Kind of the new client"), choices=ClientKind.choices, required=False
    )
    new_client_name = forms.CharField(
        label=gettext_lazy("Name of the new client"), max_length=200, required=False
    )
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("the booking's topic when left empty"),
    )


@page_view
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in: one tap when the booking names its client; a public booking first names
    its client here (one found by the company name, or registered)."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    if booking.client_id is not None:
        if request.method != "POST":
            return redirect(_day_url(booking))
        form = VersionForm(request.POST)
        version = form.cleaned_data["version"] if form.is_valid() else None
        try:
            booking = services.booking_check_in(
                booking=booking, by=request.user, expected_version=version
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_day_url(booking))
        messages.success(request, _("Checked in: %(name)s") % {"name": booking.company_name})
        return redirect(_day_url(booking))

    found = list(client_search(user=request.user, text=booking.company_name)[:10])
    choices = [(str(c.pk), f"{c.name}（{c.municipality or '—'}）") for c in found]
    choices.append((NEW_CLIENT, _("register a new client")))
    form = CheckInForm(
        request.POST or None,
        initial={
            "version": booking.version,
            "client": choices[0][0],
            "new_client_name": booking.company_name,
            "new_client_kind": ClientKind.COMPANY,
        },
    )
    form.fields["client"].choices = choices

    def perform(data: dict) -> object:
        new_client = None
        client = None
        if data["client"] == NEW_CLIENT:
            new_client = {"kind": data["new_client_kind"], "name": data["new_client_name"]}
        else:
            client = client_get_for_user(user=request.user, pk=data["client"])
        return services.booking_check_in(
            booking=booking,
            by=request.user,
            expected_version=data["version"],
            client=client,
            new_client=new_client,
            summary=data["summary"],
        )

    return form_action(
        request,
        form=form,
        perform=perform,
        done=lambda b: _("Checked in: %(name)s") % {"name": b.company_name},
        success_url=_day_url,
        render_form=lambda f, status: render(
            request, "satellites/check_in.html", {"form": f, "booking": booking}, status=status
        ),
        rename={"name": "new_client_name", "kind": "new_client_kind"},
    )


@page_view
@require_http_methods(["GET"])
def week(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today - dt.timedelta(days=today.weekday()))
    code = request.GET.get("office", "")
    counselor_id = request.GET.get("counselor", "")
    counselors = list(selectors.schedule_counselors(user=request.user))
    office = selectors.satellite_office_get(user=request.user, code=code) if code else None
    counselor = next((c for c in counselors if str(c.pk) == counselor_id), None)
    rows = []
    if office is not None or counselor is not None:
        rows = selectors.week_schedule(
            user=request.user, start=start, office=office, counselor=counselor
        )
    return render(
        request,
        "satellites/week.html",
        {
            "start": start,
            "previous": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "office": office,
            "counselor": counselor,
            "offices": selectors.satellite_offices(user=request.user),
            "counselors": counselors,
            "rows": rows,
        },
    )


UTILISATION_COLUMNS = (
    ("office", gettext_lazy("Office")),
    ("days_held", gettext_lazy("Days held")),
    ("slots_offered", gettext_lazy("Slots offered")),
    ("booked", gettext_lazy("Booked")),
    ("held", gettext_lazy("Held")),
    ("no_show", gettext_lazy("No-show")),
)


def _cell(row: selectors.Utilisation, key: str) -> object:
    return row.office.name if key == "office" else getattr(row, key)


@page_view
@require_http_methods(["GET"])
def utilisation(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    month = request.GET.get("month", "")
    try:
        year, number = (int(p) for p in month.split("-"))
        first = dt.date(year, number, 1)
    except ValueError:
        first = today.replace(day=1)
    rows = selectors.utilisation(user=request.user, year=first.year, month=first.month)
    if request.GET.get("format") == "csv":
        # The one export writer (BOM, streamed, no cell read as a formula).
        return columns_csv_response(
            f"satellite-utilisation-{first:%Y-%m}.csv",
            [(label, lambda row, key=key: _cell(row, key)) for key, label in UTILISATION_COLUMNS],
            rows,
        )
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "satellites/utilisation.html",
        {
            "rows": rows,
            "month": first,
            "previous": previous,
            "next": following,
            "columns": UTILISATION_COLUMNS,
        },
    )

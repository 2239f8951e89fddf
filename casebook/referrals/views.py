"""Referral screens: refer from a case, a desk's referrals, one referral, reports, partners."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebook.accounts.selectors import desk_get_for_user, desk_list_for_user
from casebook.common.fiscal import current_fiscal_year, fiscal_year_label
from casebook.common.web import apply_service_errors, form_action, page_view
from casebook.intake import policy
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services
from casebook.intake.models import Confidentiality
from casebook.referrals import selectors, services
from casebook.referrals.forms import (
    AcceptForm,
    AcknowledgeForm,
    ChecklistForm,
    DeclineForm,
    OutcomeForm,
    ReferralForm,
    ReportFilterForm,
)
from casebook.referrals.models import Referral, ReferralKind


@require_GET
@page_view
def referral_home(request: HttpRequest) -> HttpResponse:
    """The referrals of the user's first desk (a manager or an auditor sees them all)."""
    first = desk_list_for_user(user=request.user).first()
    if first is None:
        raise Http404("no desk")
    return redirect("referrals:desk", code=first.code)


@require_GET
@page_view
def desk_referrals(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    desk = desk_get_for_user(user=user, code=code)
    today = timezone.localdate()
    incoming = list(selectors.incoming_referrals_for_desk(user, desk, statuses=None)[:100])
    outgoing = list(selectors.outgoing_referrals_for_desk(user, desk)[:100])
    overdue = list(selectors.overdue_referrals_for_desk(user, desk, today=today))
    return render(
        request,
        "referrals/desk.html",
        {
            "desk": desk,
            "desks": desk_list_for_user(user=user),
            "incoming": incoming,
            "outgoing": outgoing,
            "overdue": overdue,
            "overdue_ids": {r.pk for r in overdue},
        },
    )


def _case_from_query(request: HttpRequest) -> Any:
    case_pk = request.GET.get("case") or request.POST.get("case")
    if not case_pk:
        raise Http404("no case named")
    case = case_selectors.case_get_for_user(user=request.user, pk=case_pk)
    case_services.access_log_record(user=request.user, cases=[case], via="referral")
    return case


def _warnings(request: HttpRequest, case: Any, data: dict[str, Any]) -> tuple[list[str], bool]:
    """Flags to confirm before an internal referral (an open case there, a loop back), and
    whether the referrer may attach to that open case."""
    desk = data.get("to_desk")
    if data.get("kind") != ReferralKind.INTERNAL or desk is None:
        return [], False
    found: list[str] = []
    attachable = False
    existing = services.existing_open_case(desk=desk, client_id=case.client_id)
    if existing is not None:
        attachable = policy.can_see_case(request.user, existing)
        if attachable:
            found.append(
                _("%(desk)s already has an open case for this client: %(number)s.")
                % {"desk": desk, "number": existing.number}
            )
        else:
            found.append(_("%s already has an open case for this client.") % desk)
    loop = services.loop_referral(from_case=case, to_desk=desk, at=timezone.now())
    if loop is not None:
        found.append(
            _("%(desk)s referred this client to your desk within the last 30 days (#%(id)s).")
            % {"desk": desk, "id": loop.pk}
        )
    return found, attachable


@require_http_methods(["GET", "POST"])
@page_view
def referral_new(request: HttpRequest) -> HttpResponse:
    case = _case_from_query(request)
    policy.require(request.user, policy.Action.REFER, case)
    shareable = case.confidentiality == Confidentiality.NORMAL
    form = ReferralForm(
        request.POST or None,
        from_desk=case.desk,
        shareable=shareable,
        initial={"kind": ReferralKind.INTERNAL},
    )
    warnings: list[str] = []
    attachable = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        warnings, attachable = _warnings(request, case, data)
        if warnings and not data["confirmed"]:
            form = ReferralForm(
                {**request.POST.dict(), "confirmed": "on"}, from_desk=case.desk, shareable=shareable
            )
            form.is_valid()
        else:
            try:
                referral = services.referral_create(
                    from_case=case,
                    by=request.user,
                    kind=data["kind"],
                    to_desk=data["to_desk"] if data["kind"] == ReferralKind.INTERNAL else None,
                    to_partner=data["to_partner"]
                    if data["kind"] == ReferralKind.EXTERNAL
                    else None,
                    handoff_note=data["handoff_note"],
                    share_full_file=bool(data["share_full_file"]) and shareable,
                    attach_to_existing=data["attach_to_existing"],
                    due_on=data["due_on"],
                    title=data["title"],
                    consent_obtained=data["consent_obtained"],
                    consent_obtained_on=data["consent_obtained_on"],
                    documents_passed=data["documents_passed"],
                    original_referrer=data["original_referrer"],
                    informs_original_referrer=data["informs_original_referrer"],
                )
            except ValidationError as error:
                apply_service_errors(form, error, rename={"from_case": "__all__"})
            else:
                messages.success(request, _("Referred to %s.") % referral.target_name)
                return redirect(referral.get_absolute_url())
    return render(
        request,
        "referrals/new.html",
        {
            "case": case,
            "form": form,
            "warnings": warnings,
            "attachable": attachable,
            "shareable": shareable,
        },
    )


@require_GET
@page_view
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, pk)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


def _detail_context(
    request: HttpRequest, referral: Referral, **forms_in_error: forms.Form
) -> dict[str, Any]:
    user = request.user
    actions = selectors.referral_actions(user, referral)
    context: dict[str, Any] = {
        "referral": referral,
        "handoff": selectors.handoff_view(user, referral),
        "actions": actions,
        "existing_case": selectors.visible_existing_case(user, referral),
        "overdue": selectors.is_overdue(referral),
        "created_case_visible": referral.created_case is not None
        and policy.can_see_case(user, referral.created_case),
        "sessions": list(selectors.sessions_visible_through(user, referral)[:20]),
        "checklist_needed": services.checklist_required(
            from_case=referral.from_case, to_partner=referral.to_partner
        ),
    }
    if "accept" in actions:
        context["accept_form"] = forms_in_error.get("accept") or AcceptForm(desk=referral.to_desk)
        context["decline_form"] = forms_in_error.get("decline") or DeclineForm()
    if "acknowledge" in actions:
        context["acknowledge_form"] = forms_in_error.get("acknowledge") or AcknowledgeForm()
    if "report-outcome" in actions:
        context["outcome_form"] = forms_in_error.get("outcome") or OutcomeForm()
    if "checklist" in actions:
        context["checklist_form"] = forms_in_error.get("checklist") or ChecklistForm(
            initial={
                "consent_obtained": referral.consent_obtained,
                "consent_obtained_on": referral.consent_obtained_on,
                "documents_passed": referral.documents_passed,
                "original_referrer": referral.original_referrer,
                "informs_original_referrer": referral.informs_original_referrer,
                "original_referrer_informed": referral.original_referrer_informed_at is not None,
                "version": referral.version,
            }
        )
    return context


def _act(
    request: HttpRequest,
    pk: int,
    *,
    name: str,
    form_class: Callable[..., forms.Form],
    perform: Callable[[Referral, dict[str, Any]], Referral],
    done: str,
    form_kwargs: Callable[[Referral], dict[str, Any]] | None = None,
) -> HttpResponse:
    """One answer on the referral page (`form_action`); errors show on the page (400/409)."""
    referral = selectors.referral_get_for_user(request.user, pk)
    form = form_class(request.POST, **(form_kwargs(referral) if form_kwargs else {}))

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        shown = selectors.referral_get_for_user(request.user, pk)
        context = _detail_context(request, shown, **{name: form})
        return render(request, "referrals/detail.html", context, status=status)

    return form_action(
        request,
        form=form,
        perform=lambda data: perform(referral, data),
        done=done,
        success_url=referral.get_absolute_url(),
        render_form=render_form,
    )


@require_POST
@page_view
def referral_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        name="accept",
        form_class=AcceptForm,
        form_kwargs=lambda referral: {"desk": referral.to_desk},
        perform=lambda r, data: services.referral_accept(
            referral=r, by=request.user, lead_counselor=data["lead_counselor"]
        ),
        done=_("The referral is accepted."),
    )


@require_POST
@page_view
def referral_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        name="decline",
        form_class=DeclineForm,
        perform=lambda r, data: services.referral_decline(
            referral=r, by=request.user, reason=data["reason"]
        ),
        done=_("The referral is declined; the referring desk is told."),
    )


@require_POST
@page_view
def referral_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        name="acknowledge",
        form_class=AcknowledgeForm,
        perform=lambda r, data: services.referral_acknowledge(
            referral=r,
            by=request.user,
            partner_contact=data["partner_contact"],
            due_on=data["due_on"],
        ),
        done=_("The partner's acknowledgement is recorded."),
    )


@require_POST
@page_view
def referral_report_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        name="outcome",
        form_class=OutcomeForm,
        perform=lambda r, data: services.referral_report_outcome(
            referral=r, by=request.user, outcome=data["outcome"]
        ),
        done=_("The outcome is recorded."),
    )


@require_POST
@page_view
def referral_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(referral: Referral, data: dict[str, Any]) -> Referral:
        changes = {k: v for k, v in data.items() if k != "version"}
        return services.referral_update_checklist(
            referral=referral, by=request.user, expected_version=data["version"], **changes
        )

    return _act(
        request,
        pk,
        name="checklist",
        form_class=ChecklistForm,
        perform=perform,
        done=_("The hand-off checklist is saved."),
    )


# --- reports -------------------------------------------------------------------------------


def _fiscal_year(request: HttpRequest) -> int:
    form = ReportFilterForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["fy"]:
        return form.cleaned_data["fy"]
    return current_fiscal_year()


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@require_GET
@page_view
def referral_reports(request: HttpRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request)
    matrix = selectors.referral_desk_matrix(request.user, fiscal_year=fiscal_year)
    partners = selectors.referral_partner_report(request.user, fiscal_year=fiscal_year)
    return render(
        request,
        "referrals/reports.html",
        {
            "fiscal_year": fiscal_year,
            "fiscal_year_label": fiscal_year_label(fiscal_year),
            "matrix": matrix,
            "partners": partners,
            "form": ReportFilterForm(initial={"fy": fiscal_year}),
        },
    )


def _csv_response(filename: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    """CSV in UTF-8 with a BOM, so that Excel opens the Japanese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@page_view
def desk_matrix_csv(request: HttpRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request)
    matrix = selectors.referral_desk_matrix(request.user, fiscal_year=fiscal_year)
    rows = [
        [
            pair.from_desk.code,
            pair.from_desk.name,
            pair.to_desk.code,
            pair.to_desk.name,
            pair.count,
            pair.accepted,
            pair.declined,
            pair.pending,
            _percent(pair.acceptance_rate),
            _number(pair.median_days_to_accept),
        ]
        for pair in sorted(
            matrix.pairs, key=lambda p: (p.from_desk.sort_order, p.to_desk.sort_order)
        )
    ]
    header = [
        _("from desk code"),
        _("from desk"),
        _("to desk code"),
        _("to desk"),
        _("referrals"),
        _("accepted"),
        _("declined"),
        _("awaiting acceptance"),
        _("acceptance rate"),
        _("median business days to accept"),
    ]
    return _csv_response(f"referrals-desks-FY{fiscal_year}.csv", header, rows)


@require_GET
@page_view
def partners_csv(request: HttpRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request)
    report = selectors.referral_partner_report(request.user, fiscal_year=fiscal_year)
    rows = [
        [
            row.partner.code,
            row.partner.name,
            row.partner.get_kind_display(),
            row.count,
            row.sent,
            row.acknowledged,
            row.outcome_reported,
            row.overdue,
            _number(row.median_days_to_acknowledge),
        ]
        for row in report
    ]
    header = [
        _("partner code"),
        _("partner"),
        _("kind"),
        _("referrals"),
        _("sent"),
        _("acknowledged"),
        _("outcome reported"),
        _("overdue"),
        _("median business days to acknowledge"),
    ]
    return _csv_response(f"referrals-partners-FY{fiscal_year}.csv", header, rows)


@require_GET
@page_view
def partner_list(request: HttpRequest) -> HttpResponse:
    if not policy.is_staff_member(request.user):
        raise Http404("no partner registry for this login")
    return render(request, "referrals/partners.html", {"partners": selectors.partner_list()})

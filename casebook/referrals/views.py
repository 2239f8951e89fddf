"""Referral screens: refer from a case, a desk's referrals, one referral and its answers,
reports, partners. Every object through a getter (404), every offer from the policies, every
answer through `common.web.form_action`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebook.accounts.models import User
from casebook.accounts.selectors import (
    desk_case_workers,
    desk_get_for_user,
    desk_list_for_user,
    desks_shown_to,
)
from casebook.common.errors import TransitionNotAllowed
from casebook.common.exports import csv_response
from casebook.common.fiscal import current_fiscal_year, fiscal_year_label
from casebook.common.paging import page_number
from casebook.common.web import form_action, page_view, posted
from casebook.intake import policy as case_policy
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services
from casebook.intake.models import Case
from casebook.referrals import policy, selectors, services
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

SESSIONS_SHOWN = 20


def _log_reads(request: HttpRequest, referrals: list[Referral], *, once_a_day: bool) -> None:
    """The restricted cases a page shows through its referrals go to the access log."""
    cases = [case for r in referrals for case in policy.cases_read_through(request.user, r)]
    case_services.access_log_record(
        user=request.user, cases=cases, via="referral", once_a_day=once_a_day
    )


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
    """A desk's overdue, incoming and outgoing referrals, each list paged on its own."""
    user = request.user
    desk = desk_get_for_user(user=user, code=code)
    lists = {
        "overdue": selectors.overdue_referrals_for_desk(user=user, desk=desk),
        "incoming": selectors.incoming_referrals_for_desk(user=user, desk=desk, statuses=None),
        "outgoing": selectors.outgoing_referrals_for_desk(user=user, desk=desk),
    }
    pages = {
        name: selectors.referral_page(
            user=user, referrals=referrals, number=page_number(request.GET, f"{name}_page")
        )
        for name, referrals in lists.items()
    }
    # A list: each restricted case on it is logged once a day, not every visit.
    _log_reads(request, [r for page in pages.values() for r in page], once_a_day=True)
    return render(
        request,
        "referrals/desk.html",
        {"desk": desk, "desks": desks_shown_to(user=user), **pages},
    )


# --- refer a case -------------------------------------------------------------------------


def _case_from_query(request: HttpRequest) -> Case:
    case_pk = request.GET.get("case") or request.POST.get("case")
    if not case_pk:
        raise Http404("no case named")
    case = case_selectors.case_get_for_user(user=request.user, pk=case_pk)
    case_services.access_log_record(user=request.user, cases=[case], via="referral")
    return case


def _warnings(flags: selectors.ReferralFlags, desk: Any) -> list[str]:
    """The flags of an internal referral, in words, to confirm before it is sent."""
    found: list[str] = []
    if flags.existing_case is not None and flags.existing_case_visible:
        found.append(
            _("%(desk)s already has an open case for this client: %(number)s.")
            % {"desk": desk, "number": flags.existing_case.number}
        )
    elif flags.existing_case is not None:
        found.append(_("%s already has an open case for this client.") % desk)
    if flags.loop is not None:
        found.append(
            _("%(desk)s referred this client to your desk within the last 30 days (#%(id)s).")
            % {"desk": desk, "id": flags.loop.pk}
        )
    return found


@require_http_methods(["GET", "POST"])
@page_view
def referral_new(request: HttpRequest) -> HttpResponse:
    """Refer a case; an internal referral that raises a flag is confirmed before it is sent."""
    user = request.user
    case = _case_from_query(request)
    case_policy.require_offered(user, case, "refer")
    shareable = policy.case_is_shareable(case)

    def make_form(data: Any = None) -> ReferralForm:
        return ReferralForm(
            data,
            desks=selectors.desks_to_refer_to(from_case=case),
            partners=selectors.partner_list_for_user(user=user),
            shareable=shareable,
            initial={"kind": ReferralKind.INTERNAL},
        )

    def render_form(form: ReferralForm, status: int, **extra: Any) -> HttpResponse:
        context = {"case": case, "form": form, "shareable": shareable, "warnings": [], **extra}
        return render(request, "referrals/new.html", context, status=status)

    form = make_form(posted(request))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["kind"] == ReferralKind.INTERNAL and data["to_desk"] is not None:
            flags = selectors.referral_flags(user=user, from_case=case, to_desk=data["to_desk"])
            if flags.raised and not data["confirmed"]:
                confirm = make_form({**request.POST.dict(), "confirmed": "on"})
                confirm.is_valid()
                return render_form(
                    confirm,
                    200,
                    warnings=_warnings(flags, data["to_desk"]),
                    attachable=flags.existing_case_visible,
                )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.referral_create(
            from_case=case, by=user, **form.service_input()
        ),
        done=lambda referral: _("Referred to %s.") % referral.target_name,
        success_url=lambda referral: referral.get_absolute_url(),
        render_form=render_form,
        rename={"from_case": NON_FIELD_ERRORS},
    )


# --- one referral and its answers ---------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answer of the referral page: its form (bound to the POST, or not), the service the
    form's fields are handed to (a form's `version` is the version its page read), and what the
    page says after it."""

    form: Callable[[Referral, Any], forms.Form]
    service: Callable[..., Referral]
    done: str

    def perform(self, by: User, referral: Referral, data: dict[str, Any]) -> Referral:
        fields = dict(data)
        if "version" in fields:
            fields["expected_version"] = fields.pop("version")
        return self.service(referral=referral, by=by, **fields)


def _accept_form(referral: Referral, data: Any) -> AcceptForm:
    return AcceptForm(data, staff=desk_case_workers(desk=referral.to_desk))


def _checklist_form(referral: Referral, data: Any) -> ChecklistForm:
    return ChecklistForm(data, initial={**referral.checklist_values(), "version": referral.version})


ANSWERS: dict[str, Answer] = {
    "accept": Answer(
        _accept_form, services.referral_accept, gettext_lazy("The referral is accepted.")
    ),
    "decline": Answer(
        lambda _referral, data: DeclineForm(data),
        services.referral_decline,
        gettext_lazy("The referral is declined; the referring desk is told."),
    ),
    "acknowledge": Answer(
        lambda _referral, data: AcknowledgeForm(data),
        services.referral_acknowledge,
        gettext_lazy("The partner's acknowledgement is recorded."),
    ),
    "report_outcome": Answer(
        lambda _referral, data: OutcomeForm(data),
        services.referral_report_outcome,
        gettext_lazy("The outcome is recorded."),
    ),
    "checklist": Answer(
        _checklist_form,
        services.referral_update_checklist,
        gettext_lazy("The hand-off checklist is saved."),
    ),
}


def _visible_referral(request: HttpRequest, pk: int) -> Referral:
    """The referral of the URL (404 when unseen), the restricted cases it shows logged."""
    referral = selectors.referral_get_for_user(user=request.user, pk=pk)
    _log_reads(request, [referral], once_a_day=False)
    return referral


def _detail(
    request: HttpRequest,
    referral: Referral,
    *,
    status: int = 200,
    in_error: tuple[str, forms.Form] | None = None,
    refused: list[str] | None = None,
) -> HttpResponse:
    """The referral page; `in_error` keeps a refused answer's form with what was typed."""
    user = request.user
    offered = policy.offered_actions(user, referral)
    answer_forms = {name: ANSWERS[name].form(referral, None) for name in offered}
    refused = list(refused or [])
    if in_error is not None:
        name, form = in_error
        if name in answer_forms:
            answer_forms[name] = form
        else:  # the answer is no longer offered: say why above the page
            refused += [str(message) for message in form.non_field_errors()]
    context = {
        "referral": referral,
        "actions": offered,
        "forms": answer_forms,
        "refused": refused,
        "handoff": policy.handoff_view(user, referral),
        "client_name": policy.client_name_shown(user, referral),
        "existing_case": policy.existing_case_shown(user, referral),
        "created_case_visible": policy.can_see_created_case(user, referral),
        "sessions": list(
            selectors.sessions_visible_through(user=user, referral=referral)[:SESSIONS_SHOWN]
        ),
    }
    return render(request, "referrals/detail.html", context, status=status)


@require_GET
@page_view
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_referral(request, pk))


@require_POST
@page_view
def referral_answer(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One answer on the referral page (accept, decline, acknowledge, report the outcome,
    keep the checklist): 403 naming the rule, 409 naming the states, 400 at the fields."""
    referral = _visible_referral(request, pk)
    try:
        policy.require_offered(request.user, referral, name)
    except TransitionNotAllowed as error:
        return _detail(request, referral, status=409, refused=[error.message])
    answer = ANSWERS[name]
    return form_action(
        request,
        form=answer.form(referral, request.POST),
        perform=lambda data: answer.perform(request.user, referral, data),
        done=str(answer.done),
        success_url=referral.get_absolute_url(),
        render_form=lambda form, status: _detail(
            request,
            selectors.referral_get_for_user(user=request.user, pk=pk),
            status=status,
            in_error=(name, form),
        ),
        transition_field=NON_FIELD_ERRORS,
    )


# --- reports ------------------------------------------------------------------------------


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
    matrix = selectors.referral_desk_matrix(user=request.user, fiscal_year=fiscal_year)
    partners = selectors.referral_partner_report(user=request.user, fiscal_year=fiscal_year)
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


Column = tuple[str, Callable[[Any], Any]]

DESK_PAIR_COLUMNS: tuple[Column, ...] = (
    (gettext_lazy("from desk code"), lambda pair: pair.from_desk.code),
    (gettext_lazy("from desk"), lambda pair: pair.from_desk.name),
    (gettext_lazy("to desk code"), lambda pair: pair.to_desk.code),
    (gettext_lazy("to desk"), lambda pair: pair.to_desk.name),
    (gettext_lazy("referrals"), lambda pair: pair.count),
    (gettext_lazy("accepted"), lambda pair: pair.accepted),
    (gettext_lazy("declined"), lambda pair: pair.declined),
    (gettext_lazy("awaiting acceptance"), lambda pair: pair.pending),
    (gettext_lazy("acceptance rate"), lambda pair: _percent(pair.acceptance_rate)),
    (
        gettext_lazy("median business days to accept"),
        lambda pair: _number(pair.median_days_to_accept),
    ),
)
PARTNER_COLUMNS: tuple[Column, ...] = (
    (gettext_lazy("partner code"), lambda row: row.partner.code),
    (gettext_lazy("partner"), lambda row: row.partner.name),
    (gettext_lazy("kind"), lambda row: row.partner.get_kind_display()),
    (gettext_lazy("referrals"), lambda row: row.count),
    (gettext_lazy("sent"), lambda row: row.sent),
    (gettext_lazy("acknowledged"), lambda row: row.acknowledged),
    (gettext_lazy("outcome reported"), lambda row: row.outcome_reported),
    (gettext_lazy("overdue"), lambda row: row.overdue),
    (
        gettext_lazy("median business days to acknowledge"),
        lambda row: _number(row.median_days_to_acknowledge),
    ),
)


def _csv_response(filename: str, columns: tuple[Column, ...], rows: list[Any]) -> HttpResponse:
    """`rows` as CSV, one column per `columns` (the shared writer: no cell runs as a formula)."""
    return csv_response(
        filename,
        [header for header, _value in columns],
        ([value(row) for _header, value in columns] for row in rows),
    )


@require_GET
@page_view
def desk_matrix_csv(request: HttpRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request)
    matrix = selectors.referral_desk_matrix(user=request.user, fiscal_year=fiscal_year)
    pairs = sorted(matrix.pairs, key=lambda p: (p.from_desk.sort_order, p.to_desk.sort_order))
    return _csv_response(f"referrals-desks-FY{fiscal_year}.csv", DESK_PAIR_COLUMNS, pairs)


@require_GET
@page_view
def partners_csv(request: HttpRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request)
    report = selectors.referral_partner_report(user=request.user, fiscal_year=fiscal_year)
    return _csv_response(f"referrals-partners-FY{fiscal_year}.csv", PARTNER_COLUMNS, report)


@require_GET
@page_view
def partner_list(request: HttpRequest) -> HttpResponse:
    """The partner registry, for the staff who use the case screens (404 for anyone else)."""
    if not policy.may_see_partners(request.user):
        raise Http404("no partner registry for this login")
    partners = selectors.partner_list_for_user(user=request.user)
    return render(request, "referrals/partners.html", {"partners": partners})

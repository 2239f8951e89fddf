"""Who sees which referral, who answers it, and what the receiving desk sees of the referring
case (docs/rules.md, "Referrals" and "Visibility"), on top of the case policy.

The one place that answers these questions for referrals; views, the API, the templates and
the services ask here:

- visibility: `visible_referrals_q` / `referrals_visible_to` (the filter of every selector),
  and what a visible referral shows of its cases: `can_see_full_file`, `can_see_created_case`,
  `existing_case_shown`, `client_name_shown`, `handoff_view`, and `cases_read_through` (the
  cases whose read goes to the access log); `note_cases_when_asked` for rows read without
  those notes;
- sharing: `case_is_shareable`, the one rule of what may leave the referring desk;
- actions: `can` / `require` (403 naming the rule) and `offered_actions(user, referral)`, what
  a screen offers (the role allows it and the referral's state has it), `require_offered`
  (403 naming the rule, 409 naming the states);
- the referral reports and the partner registry: `may_read_reports`, `may_see_partners`,
  `may_edit_partners`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as DbCase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.models import DeskRole, OrgRole
from casebook.common.errors import ActionNotPermitted, TransitionNotAllowed
from casebook.intake import policy as case_policy
from casebook.intake.models import Confidentiality
from casebook.referrals.models import (
    REFERRAL_ACTION_LABELS,
    REFERRAL_TRANSITIONS,
    ReferralKind,
    ReferralStatus,
)

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case
    from casebook.referrals.models import Referral


class ReferralAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    ACKNOWLEDGE = "acknowledge"
    REPORT_OUTCOME = "report_outcome"
    CHECKLIST = "checklist"


# Who may act on a referral they can see. Grants:
#   receiving_coordinator  a coordinator of the desk an internal referral goes to
#   manager                the organisation's managers
#   referring              whoever may see and refer the referring case (docs/rules.md,
#                          "Who may do what": refer)
GRANTS: dict[ReferralAction, tuple[str, ...]] = {
    ReferralAction.ACCEPT: ("manager", "receiving_coordinator"),
    ReferralAction.DECLINE: ("manager", "receiving_coordinator"),
    ReferralAction.ACKNOWLEDGE: ("referring",),
    ReferralAction.REPORT_OUTCOME: ("referring",),
    ReferralAction.CHECKLIST: ("referring",),
}
# Internal referrals are answered by a desk, external ones by a partner (recorded by us).
KIND_OF_ACTION: dict[ReferralAction, str] = {
    ReferralAction.ACCEPT: ReferralKind.INTERNAL,
    ReferralAction.DECLINE: ReferralKind.INTERNAL,
    ReferralAction.ACKNOWLEDGE: ReferralKind.EXTERNAL,
    ReferralAction.REPORT_OUTCOME: ReferralKind.EXTERNAL,
}
_ANSWER_RULE = gettext_lazy(
    "only a coordinator of the receiving desk or a manager accepts or declines a referral"
)
_PARTNER_REPLY_RULE = gettext_lazy("only those who may refer the case record a partner's reply")
RULES: dict[ReferralAction, str] = {
    ReferralAction.ACCEPT: _ANSWER_RULE,
    ReferralAction.DECLINE: _ANSWER_RULE,
    ReferralAction.ACKNOWLEDGE: _PARTNER_REPLY_RULE,
    ReferralAction.REPORT_OUTCOME: _PARTNER_REPLY_RULE,
    ReferralAction.CHECKLIST: gettext_lazy(
        "only those who may refer the case keep its hand-off checklist"
    ),
}
REPORTS_RULE = gettext_lazy("only managers, auditors and coordinators read referral reports")
PARTNERS_RULE = gettext_lazy("only a manager or an administrator edits the partner registry")

# The cases a referral names, each noted with whether the reader may see it (see
# `referrals_visible_to`).
_CASE_FIELDS = ("from_case", "created_case", "existing_case")


# --- visibility ---------------------------------------------------------------------------


def visible_referrals_q(
    user: User,
    *,
    to_desk_id: int | None = None,
    among: QuerySet[Referral] | None = None,
) -> Q:
    """A filter on Referral for what `user` may see: the referrals of the cases they may see
    (either side), and the internal referrals addressed to a desk they are a member of.

    `to_desk_id` narrows the rule to the internal referrals addressed to that desk (a list of
    them, as a desk's incoming referrals): when `user` is a member of it, each of them passes
    through that last branch whatever its cases, and the filter is just that branch — the
    case rule's copies on both of a referral's cases were most of the planning of such a
    list (docs/performance.md, "The desk board"). Otherwise the whole rule.

    `among`, referrals that include every one the list reads (its filters on the referral row
    alone, say): the same rule, with the case rule asked of those referrals' cases as a set on
    the case table (`from_case IN (the visible cases among their referring cases)`, the same
    for the created case) instead of on each referral's case rows joined to it. For a
    referral of `among` it decides the same: filter `among`, or a part of it, with it.
    PostgreSQL plans it in a few milliseconds where the joined rule took 15–35 on the decade
    (docs/performance.md, "The desk board").
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.org_role == OrgRole.MANAGER:
        return Q()
    if to_desk_id is not None and to_desk_id in case_policy.desk_roles(user):
        return Q(kind=ReferralKind.INTERNAL, to_desk_id=to_desk_id)
    if among is None:
        # The rule read on each referral's own case rows (joined): `from_case IN (every visible
        # case)` read every case of the reader's desks for a board's few referrals
        # (docs/performance.md, "The desk board").
        # A referral to a partner has no created case: its absent row must not pass a negated
        # condition (an auditor's "not restricted").
        condition = (
            Q(from_case__isnull=False) & case_policy.visible_cases_q(user, prefix="from_case__")
        ) | (
            Q(created_case__isnull=False)
            & case_policy.visible_cases_q(user, prefix="created_case__")
        )
    else:
        # An absent case (a partner's referral has no created case) is in no set.
        condition = Q(from_case__in=_visible_cases_among(user, among, "from_case")) | Q(
            created_case__in=_visible_cases_among(user, among, "created_case")
        )
    desks = list(case_policy.desk_roles(user))
    if desks:
        condition |= Q(kind=ReferralKind.INTERNAL, to_desk_id__in=desks)
    return condition


def _visible_cases_among(user: User, among: QuerySet[Referral], name: str) -> QuerySet[Case]:
    """The ids of the cases `name` of the referrals `among` that `user` may see: the case
    rule on the case row alone, its rows found by id from those referrals."""
    from casebook.intake.models import Case

    cases = among.order_by().values(name)
    return case_policy.cases_visible_to(user, Case.objects.filter(pk__in=cases)).values("pk")


def referrals_visible_to(
    user: User,
    queryset: QuerySet[Referral] | None = None,
    *,
    noted: bool = True,
    to_desk_id: int | None = None,
    among: QuerySet[Referral] | None = None,
) -> QuerySet:
    """The referrals `user` may see, each noted with which of its cases `user` may see
    (`from_case_visible`, `created_case_visible`, `existing_case_visible`), so that what a
    list shows of every row costs no query of its own.

    `noted=False` reads the rows under the rule without the notes: the case rule's three
    copies in them were most of the planning of a short list that asks few of them (the desk
    board's lists ask only of a restricted referring case, for its client's name;
    docs/performance.md, "The desk board"). Whoever reads such rows hands them to
    `note_cases_when_asked`. `to_desk_id` and `among` as `visible_referrals_q`.
    """
    from casebook.referrals.models import Referral

    base = Referral.objects.all() if queryset is None else queryset
    visible = base.filter(visible_referrals_q(user, to_desk_id=to_desk_id, among=among))
    if not noted:
        return visible
    notes = {f"{name}_visible": _seen_on_its_row(user, name) for name in _CASE_FIELDS}
    return visible.annotate(**notes)


def _seen_on_its_row(user: User, name: str) -> DbCase:
    """Whether `user` may see the referral's case `name`: the case rule read on that case's
    row, joined to the referral. Asked as `EXISTS (a visible case with this id)`, PostgreSQL
    answered a list's notes by reading every case the reader may see into a hash once the
    list had a few thousand candidate referrals (docs/performance.md, "The stress shape")."""
    seen = Q(**{f"{name}__isnull": False}) & case_policy.visible_cases_q(user, prefix=f"{name}__")
    return DbCase(When(seen, then=Value(True)), default=Value(False), output_field=BooleanField())


def of_case_q(case_id: int) -> Q:
    """The referrals out of a case and into it (its referring or its created case)."""
    return Q(from_case_id=case_id) | Q(created_case_id=case_id)


def referrals_of_case_visible_to(
    user: User,
    case: Case,
    queryset: QuerySet[Referral] | None = None,
    *,
    read_seen: Callable[[int], list[Referral]] | None = None,
) -> list[Referral]:
    """The referrals out of `case` and into it that `user` may see, read from `queryset` (with
    its joins and order).

    When `user` sees the case file (asked of the loaded case), each of them passes the rule
    through that case's own side: the rows are read with no rule at all, and which of their
    cases `user` may see (`can_see_full_file`, `can_see_created_case`, `existing_case_shown`)
    is worked out when first asked, for all of them at once (`_CaseNotes`). The rule compiled
    into the read, once per case a referral names, cost the case page more than the rest of
    the read, also for a case with no referral, and the page shows none of those notes
    (docs/performance.md, "The case page"). A reader who does not see the case gets the
    general rule and its notes (`referrals_visible_to`).

    `read_seen(case_id)`: the rows of `queryset` filtered by `of_case_q(case_id)`, read by a
    statement compiled once (the case page's, `selectors.referrals_for_case`), in place of
    the queryset's read when `user` sees the case.
    """
    from casebook.referrals.models import Referral

    base = Referral.objects.all() if queryset is None else queryset
    if not case_policy.can_see_case(user, case):
        return list(referrals_visible_to(user, base.filter(of_case_q(case.pk))))
    referrals = list(base.filter(of_case_q(case.pk))) if read_seen is None else read_seen(case.pk)
    _CaseNotes(user, referrals, seen=case.pk).attach()
    return referrals


def note_cases_when_asked(user: User, referrals: Iterable[Referral]) -> None:
    """Note on `referrals` (read for `user` with `referrals_visible_to(..., noted=False)`)
    which of their cases `user` may see, as `referrals_visible_to` notes them, taken when one
    is first asked (`can_see_full_file`, `client_name_shown` …): one query of the case policy
    for all of them, none when none is asked. Rows that carry the notes keep them."""
    unnoted = [r for r in referrals if "from_case_visible" not in r.__dict__]
    if unnoted:
        _CaseNotes(user, unnoted).attach()


class _CaseNotes:
    """Which cases of `referrals` `user` may see, noted on each referral as
    `referrals_visible_to` notes them: `seen` (a case `user` is known to see, the case whose
    referrals they are) without asking, a case they do not name as no, and their other cases
    in one query of the case policy for all of them (none when there are none)."""

    def __init__(self, user: User, referrals: list[Referral], *, seen: int | None = None) -> None:
        self.user, self.referrals, self.seen = user, referrals, seen
        self.taken = False

    def attach(self) -> None:
        for referral in self.referrals:
            referral._case_notes = self

    def take(self) -> None:
        if self.taken:
            return
        others = {
            case_id
            for referral in self.referrals
            for name in _CASE_FIELDS
            if (case_id := getattr(referral, f"{name}_id")) not in (None, self.seen)
        }
        seen = {self.seen} if self.seen is not None else set()
        rule = case_policy.visible_cases_q(self.user)
        if others and not rule:
            # An empty rule (a manager's) is every case: nothing to ask.
            seen.update(others)
        elif others:
            visible = case_policy.cases_visible_to(self.user).filter(pk__in=others)
            seen.update(visible.values_list("pk", flat=True))
        for referral in self.referrals:
            for name in _CASE_FIELDS:
                setattr(referral, f"{name}_visible", getattr(referral, f"{name}_id") in seen)
        self.taken = True


def _may_see(user: User, referral: Referral, name: str) -> bool:
    """May `user` see the case `referral.<name>`? Read from the note `referrals_visible_to`
    took with the row (or `referrals_of_case_visible_to` takes for its rows when first
    asked), else asked of the case policy."""
    noted = referral.__dict__.get(f"{name}_visible")
    notes = referral.__dict__.get("_case_notes")
    if noted is None and notes is not None and notes.user == user:
        notes.take()
        noted = referral.__dict__.get(f"{name}_visible")
    if noted is not None:
        return bool(noted)
    case = getattr(referral, name)
    return case is not None and case_policy.can_see_case(user, case)


def can_see_full_file(user: User, referral: Referral) -> bool:
    """The referring case's file (its sessions and everything else): whoever may see that case
    — the receiving desk only while the case is shared with it (the case policy's shares)."""
    return _may_see(user, referral, "from_case")


def can_see_created_case(user: User, referral: Referral) -> bool:
    return _may_see(user, referral, "created_case")


def existing_case_shown(user: User, referral: Referral) -> Case | None:
    """The open case the receiving desk already had for the client, when `user` may see it."""
    return referral.existing_case if _may_see(user, referral, "existing_case") else None


def cases_read_through(user: User, referral: Referral) -> list[Case]:
    """The cases whose details a read of `referral` shows `user` (for the access log)."""
    cases = []
    if can_see_full_file(user, referral):
        cases.append(referral.from_case)
    if can_see_created_case(user, referral):
        cases.append(referral.created_case)
    return cases


def case_is_shareable(case: Case) -> bool:
    """Only a `normal` case's file, title and topics ever leave its desk through a referral.

    A `confidential` case (an unpublished invention: its novelty must not leak) and a
    `restricted` one (the exit track) are never shared; the case policy lets a share lapse by
    itself when its case becomes one of them.
    """
    return case.confidentiality == Confidentiality.NORMAL


def client_name_shown(user: User, referral: Referral) -> str:
    """The client's name on a referral: withheld ("") when the referring case is restricted
    and `user` may not see it."""
    case = referral.from_case
    if case.confidentiality == Confidentiality.RESTRICTED and not can_see_full_file(user, referral):
        return ""
    return case.client.name if case.client_id else ""


@dataclass
class HandoffView:
    """The referring case as the reader may see it: the full file, or a summary."""

    full_file: bool
    number: str
    desk: str
    title: str
    status: str
    lead_counselor: str
    topics: list[str] = field(default_factory=list)
    withheld_reason: str = ""


def handoff_view(user: User, referral: Referral) -> HandoffView:
    """What `user` sees of the referring case of `referral` (a referral they may see).

    The hand-off note and the desk always; a summary (number, title, topics, status, lead) of
    a normal case; a confidential case's summary without its title and topics (they may
    describe the invention); of a restricted case only whom to ask.
    """
    case = referral.from_case
    full = can_see_full_file(user, referral)
    restricted = case.confidentiality == Confidentiality.RESTRICTED and not full
    summary = full or case_is_shareable(case)
    if full:
        reason = ""
    elif restricted:
        reason = _("This case is handled by the special team; its file is not shared.")
    elif case.confidentiality == Confidentiality.CONFIDENTIAL:
        reason = _("This case is confidential: only the hand-off note is shared, never its file.")
    else:
        reason = _("The referrer did not share the full file.")
    lead = str(case.lead_counselor) if case.lead_counselor_id else ""
    return HandoffView(
        full_file=full,
        number="" if restricted else case.number,
        desk=str(case.desk),
        title=case.title if summary else "",
        topics=[topic.name for topic in case.topics.all()] if summary else [],
        status="" if restricted else case.get_status_display(),
        lead_counselor=str(referral.referred_by) if restricted else lead,
        withheld_reason=reason,
    )


# --- actions ------------------------------------------------------------------------------


class _Grants:
    """The grants `user` holds on `referral`, each worked out once and only when asked."""

    def __init__(self, user: User, referral: Referral) -> None:
        self.user, self.referral = user, referral
        self.known: dict[str, bool] = {}

    def holds(self, grant: str) -> bool:
        if grant not in self.known:
            self.known[grant] = self._work_out(grant)
        return self.known[grant]

    def _work_out(self, grant: str) -> bool:
        user, referral = self.user, self.referral
        if grant == "manager":
            return user.org_role == OrgRole.MANAGER
        if grant == "receiving_coordinator":
            roles = case_policy.desk_roles(user).get(referral.to_desk_id, set())
            return referral.to_desk_id is not None and DeskRole.COORDINATOR in roles
        # "referring"
        return can_see_full_file(user, referral) and case_policy.can(
            user, case_policy.Action.REFER, referral.from_case
        )

    def allow(self, action: ReferralAction) -> bool:
        kind = KIND_OF_ACTION.get(action)
        if kind is not None and self.referral.kind != kind:
            return False
        return any(self.holds(grant) for grant in GRANTS[action])


def can(user: User, action: ReferralAction, referral: Referral) -> bool:
    """May `user` do `action` on `referral`, whatever its state? Assumes they may see it."""
    return _Grants(user, referral).allow(action)


def require(user: User, action: ReferralAction, referral: Referral) -> None:
    """ActionNotPermitted (403 naming the rule) unless `user` may do `action` on `referral`."""
    if not can(user, action, referral):
        raise ActionNotPermitted(str(RULES[action]))


def offered_actions(user: User, referral: Referral) -> frozenset[str]:
    """What a screen offers `user` on `referral`: the role allows it and the state has it.

    Names: `accept`, `decline` (internal, pending), `acknowledge` (external, sent),
    `report_outcome` (external, sent or acknowledged), `checklist` (any state). A view
    computes this once per request and hands it to its template.
    """
    grants = _Grants(user, referral)
    return frozenset(
        str(action)
        for action in ReferralAction
        if referral.status in REFERRAL_TRANSITIONS.get(action, (referral.status,))
        and grants.allow(action)
    )


def transition_refused(referral: Referral, name: str) -> TransitionNotAllowed:
    """The 409 of an answer the referral's state does not have, naming both states."""
    message = _('The referral is "%(current)s"; "%(requested)s" is not possible from there.')
    labels = REFERRAL_ACTION_LABELS
    return TransitionNotAllowed.labelled(referral.status, name, ReferralStatus, labels, message)


def require_offered(user: User, referral: Referral, name: str) -> None:
    """Refuse what a screen would not offer (see `offered_actions`): 403 naming the rule when
    the role is missing, 409 naming the states when the referral's state does not have it."""
    require(user, ReferralAction(name), referral)
    if referral.status not in REFERRAL_TRANSITIONS.get(name, (referral.status,)):
        raise transition_refused(referral, name)


# --- reports and the partner registry -----------------------------------------------------


def may_read_reports(user: User) -> bool:
    """The referral reports: managers, auditors and the desks' coordinators."""
    if user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR):
        return True
    return any(DeskRole.COORDINATOR in roles for roles in case_policy.desk_roles(user).values())


def require_reports(user: User) -> None:
    if not may_read_reports(user):
        raise ActionNotPermitted(str(REPORTS_RULE))


def may_see_partners(user: User) -> bool:
    """The partner registry is for the staff who use the case screens."""
    return case_policy.is_staff_member(user)


def may_edit_partners(user: User) -> bool:
    return user.org_role in (OrgRole.MANAGER, OrgRole.ADMIN) or user.is_superuser


def require_partner_editor(user: User) -> None:
    if not may_edit_partners(user):
        raise ActionNotPermitted(str(PARTNERS_RULE))

"""Rules and helpers the referral services share: deadlines, who answers, flags, locks."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, DeskRole, User
from casebook.common.errors import (
    ActionNotPermitted,
    TransitionNotAllowed,
)
from casebook.intake import policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case, CaseStatus, Confidentiality
from casebook.referrals.models import (
    InformsReferrer,
    Partner,
    PartnerKind,
    Referral,
    ReferralKind,
)

LOOP_WINDOW = dt.timedelta(days=30)
# Partners whose hand-offs with the yorozu hub follow the checklist (docs/rules.md, "Referrals").
CHECKLIST_PARTNER_KINDS = frozenset(
    {PartnerKind.SUCCESSION_CENTRE, PartnerKind.REVITALISATION_COUNCIL}
)
ACCEPT_RULE = "only a coordinator of the receiving desk or a manager accepts or declines a referral"


def accept_business_days() -> int:
    return settings.CASEBOOK_REFERRAL_ACCEPT_BUSINESS_DAYS


def acknowledge_business_days() -> int:
    return settings.CASEBOOK_REFERRAL_ACKNOWLEDGE_BUSINESS_DAYS


def outcome_business_days() -> int:
    return settings.CASEBOOK_REFERRAL_OUTCOME_BUSINESS_DAYS


def checklist_required(*, from_case: Case, to_partner: Partner | None) -> bool:
    """The yorozu hub ↔ revitalisation council ↔ succession centre hand-offs need it."""
    return to_partner is not None and to_partner.kind in CHECKLIST_PARTNER_KINDS


def can_answer(user: User, referral: Referral) -> bool:
    """Accept or decline: a coordinator of the receiving desk, or a manager (docs/rules.md)."""
    if referral.kind != ReferralKind.INTERNAL:
        return False
    if user.is_manager:
        return True
    return DeskRole.COORDINATOR in policy.desk_roles(user).get(referral.to_desk_id, set())


def can_record_partner_reply(user: User, referral: Referral) -> bool:
    """Acknowledgement and outcome of an external referral: whoever may refer the case."""
    return referral.kind == ReferralKind.EXTERNAL and policy.can(
        user, policy.Action.REFER, referral.from_case
    )


def lock_referral(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("from_case__desk", "to_desk", "to_partner", "created_case__desk")
        .get(pk=referral.pk)
    )


def share_source(referral: Referral) -> str:
    """How intake's table of case shares names the share a referral granted."""
    return f"referral:{referral.pk}"


def notify_ids(referral: Referral) -> set[int]:
    ids = {referral.referred_by_id}
    if referral.from_case.lead_counselor_id:
        ids.add(referral.from_case.lead_counselor_id)
    return ids


def publish(referral: Referral, kind: str) -> None:
    """Both desks hear about it: the referring case (and its referrer) and the receiving case."""
    publish_case_event(referral.from_case, kind, notify_user_ids=notify_ids(referral))
    if referral.created_case_id:
        publish_case_event(referral.created_case, kind)


def local_today() -> dt.date:
    return timezone.localdate()


def clean_text(value: str | None) -> str:
    return (value or "").strip()


def existing_open_case(
    *, desk: Desk, client_id: int | None, exclude: Case | None = None
) -> Case | None:
    """The receiving desk's newest open case for the client (never a restricted one)."""
    if client_id is None:
        return None
    queryset = (
        Case.objects.filter(desk=desk, client_id=client_id)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(confidentiality=Confidentiality.RESTRICTED)
        .select_related("desk")
        .order_by("-opened_at", "-pk")
    )
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.first()


def loop_referral(*, from_case: Case, to_desk: Desk, at: dt.datetime) -> Referral | None:
    """A referral of the same client from `to_desk` back to `from_case.desk` in the last 30 days."""
    if from_case.client_id is None:
        return None
    return (
        Referral.objects.filter(
            kind=ReferralKind.INTERNAL,
            from_case__desk=to_desk,
            from_case__client_id=from_case.client_id,
            to_desk_id=from_case.desk_id,
            referred_at__gte=at - LOOP_WINDOW,
        )
        .order_by("-referred_at", "-pk")
        .first()
    )


def validate_checklist(
    errors: dict[str, list[ValidationError]],
    *,
    required: bool,
    consent_obtained: bool,
    documents_passed: str,
    informs_original_referrer: str,
    original_referrer: str,
) -> None:
    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if informs_original_referrer and informs_original_referrer not in InformsReferrer.values:
        add(
            "informs_original_referrer",
            _("'%s' is not one of: us, receiver, nobody") % informs_original_referrer,
            "invalid_choice",
        )
    if (
        informs_original_referrer in (InformsReferrer.US, InformsReferrer.RECEIVER)
        and not original_referrer
    ):
        add("original_referrer", _("name the original referrer to be informed"), "required")
    if not required:
        return
    if not consent_obtained:
        add(
            "consent_obtained",
            _("the client's consent to share information is needed before this hand-off"),
            "consent_required",
        )
    if not documents_passed:
        add("documents_passed", _("list the documents passed (or write none)"), "required")
    if not informs_original_referrer:
        add(
            "informs_original_referrer",
            _("say who informs the original referrer"),
            "required",
        )


def ensure_status(referral: Referral, requested: str, allowed: set[str]) -> None:
    if referral.status not in allowed:
        raise TransitionNotAllowed(current=referral.status, requested=requested)


def require_answer(by: User, referral: Referral) -> None:
    if not can_answer(by, referral):
        raise ActionNotPermitted(ACCEPT_RULE)

"""Making a referral: to another desk (a linked intake there) or to a partner.

Sharing rule: see the package docstring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, User
from casebook.common.calendar import add_business_days
from casebook.common.errors import (
    ConflictError,
    TransitionNotAllowed,
)
from casebook.common.models import raise_if_errors, save_tracked
from casebook.intake import policy
from casebook.intake import services as case_services
from casebook.intake.models import Case, CaseStatus, Confidentiality
from casebook.referrals.models import (
    OPEN_STATUSES,
    Partner,
    Referral,
    ReferralKind,
    ReferralStatus,
)
from casebook.referrals.services.common import (
    accept_business_days,
    acknowledge_business_days,
    checklist_required,
    clean_text,
    existing_open_case,
    local_today,
    loop_referral,
    publish,
    share_source,
    validate_checklist,
)


@transaction.atomic
def referral_create(
    *,
    from_case: Case,
    by: User,
    kind: str,
    handoff_note: str,
    to_desk: Desk | None = None,
    to_partner: Partner | None = None,
    share_full_file: bool = False,
    attach_to_existing: bool = False,
    due_on: dt.date | None = None,
    title: str = "",
    topics: Iterable[str] | None = None,
    consent_obtained: bool = False,
    consent_obtained_on: dt.date | None = None,
    documents_passed: str = "",
    original_referrer: str = "",
    informs_original_referrer: str = "",
) -> Referral:
    """Refer a case to another desk (a linked intake there) or to a partner organisation.

    Flags, never refusals: the receiving desk already has an open case for the client
    (`existing_case`; the referrer may attach to it instead), and a loop A → B → A within
    30 days (`loop_of`).
    """
    from_case = case_services.lock_case(from_case)
    policy.require(by, policy.Action.REFER, from_case)
    if from_case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed(current=from_case.status, requested="refer")
    now = timezone.now()
    handoff_note = clean_text(handoff_note)
    documents_passed = clean_text(documents_passed)
    original_referrer = clean_text(original_referrer)
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if kind not in ReferralKind.values:
        add("kind", _("'%s' is not one of: internal, external") % kind, "invalid_choice")
    if not handoff_note:
        add("handoff_note", _("write a hand-off note for the receiver"), "required")
    if due_on is not None and due_on < local_today():
        add("due_on", _("the due date cannot be in the past"), "past")
    if kind == ReferralKind.INTERNAL:
        if to_desk is None:
            add("to_desk", _("choose the receiving desk"), "required")
        elif to_desk.pk == from_case.desk_id:
            add("to_desk", _("a case is referred to another desk, not its own"), "same_desk")
        elif not to_desk.active:
            add("to_desk", _("this desk is not active"), "inactive")
        if to_partner is not None:
            add("to_partner", _("an internal referral goes to a desk, not a partner"), "invalid")
        if from_case.client_id is None:
            add(
                "from_case",
                _("an anonymous case is not referred to another desk: register the client first"),
                "anonymous",
            )
        if share_full_file and from_case.confidentiality != Confidentiality.NORMAL:
            add(
                "share_full_file",
                _("the file of a confidential or restricted case is never shared by a referral"),
                "not_shareable",
            )
    elif kind == ReferralKind.EXTERNAL:
        if to_partner is None:
            add("to_partner", _("choose the partner organisation"), "required")
        elif not to_partner.active:
            add("to_partner", _("this partner is not active"), "inactive")
        if to_desk is not None:
            add("to_desk", _("an external referral goes to a partner, not a desk"), "invalid")
        if share_full_file:
            add(
                "share_full_file",
                _("a partner organisation never gets the case file"),
                "not_shareable",
            )
        if attach_to_existing:
            add("attach_to_existing", _("only an internal referral is attached"), "invalid")
    validate_checklist(
        errors,
        required=checklist_required(from_case=from_case, to_partner=to_partner),
        consent_obtained=consent_obtained,
        documents_passed=documents_passed,
        informs_original_referrer=informs_original_referrer,
        original_referrer=original_referrer,
    )
    if consent_obtained_on is not None and consent_obtained_on > local_today():
        add("consent_obtained_on", _("the consent date cannot be in the future"), "future")

    existing = None
    if kind == ReferralKind.INTERNAL and to_desk is not None and not errors:
        existing = existing_open_case(desk=to_desk, client_id=from_case.client_id)
        if attach_to_existing and (existing is None or not policy.can_see_case(by, existing)):
            add(
                "attach_to_existing",
                _("the receiving desk has no open case for this client to attach to"),
                "nothing_to_attach",
            )
    raise_if_errors(errors)

    target = {"to_desk": to_desk} if kind == ReferralKind.INTERNAL else {"to_partner": to_partner}
    if Referral.objects.filter(from_case=from_case, status__in=OPEN_STATUSES, **target).exists():
        raise ConflictError(
            _("this case already has an open referral to %s") % (to_desk or to_partner),
            code="duplicate_referral",
        )

    referral = Referral(
        kind=kind,
        from_case=from_case,
        to_desk=to_desk,
        to_partner=to_partner,
        handoff_note=handoff_note,
        share_full_file=share_full_file,
        referred_by=by,
        referred_at=now,
        consent_obtained=consent_obtained,
        consent_obtained_on=consent_obtained_on
        or (timezone.localdate(now) if consent_obtained else None),
        documents_passed=documents_passed,
        original_referrer=original_referrer,
        informs_original_referrer=informs_original_referrer,
    )
    if kind == ReferralKind.INTERNAL:
        referral.status = ReferralStatus.PENDING
        referral.due_on = due_on or add_business_days(
            timezone.localdate(now), accept_business_days()
        )
        referral.existing_case = existing
        referral.loop_of = loop_referral(from_case=from_case, to_desk=to_desk, at=now)
        if attach_to_existing:
            referral.created_case = existing
            referral.attached_to_existing = True
        else:
            referral.created_case = case_services.case_open(
                desk=to_desk,
                client=from_case.client,
                title=clean_text(title) or _default_title(from_case),
                intake_channel="referral",
                by=by,
                referred_from=from_case,
                topics=list(topics) if topics is not None else _default_topics(from_case),
                priority=from_case.priority,
            )
    else:
        referral.status = ReferralStatus.SENT
        referral.due_on = due_on or add_business_days(
            timezone.localdate(now), acknowledge_business_days()
        )
    save_tracked(referral, by=by, reason=_("referred"))
    if referral.share_full_file and kind == ReferralKind.INTERNAL:
        case_services.case_share_grant(case=from_case, desk=to_desk, source=share_source(referral))
    publish(referral, "referral_sent")
    return referral


def _default_title(from_case: Case) -> str:
    if from_case.confidentiality == Confidentiality.NORMAL:
        return from_case.title
    # The title of a confidential case may name the invention: it stays at its desk.
    return _("Referral from %s") % from_case.desk.name


def _default_topics(from_case: Case) -> list[str]:
    if from_case.confidentiality != Confidentiality.NORMAL:
        return []
    return list(from_case.topics.values_list("code", flat=True))

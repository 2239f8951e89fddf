"""Making a referral: to another desk (a linked intake there) or to a partner.

What may leave the referring desk is the referrals policy's (`policy.case_is_shareable`):
the full file only when the referrer shares it and the case is `normal`, and a confidential
case's title and topics never.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, User
from casebook.common.calendar import add_business_days
from casebook.common.errors import ConflictError
from casebook.common.models import raise_if_errors, save_tracked
from casebook.intake import policy as case_policy
from casebook.intake import services as case_services
from casebook.intake.models import Case
from casebook.referrals import policy, selectors
from casebook.referrals.models import (
    OPEN_STATUSES,
    Partner,
    Referral,
    ReferralKind,
    ReferralStatus,
    checklist_required_for,
)
from casebook.referrals.services.common import (
    Errors,
    accept_business_days,
    acknowledge_business_days,
    add_error,
    clean_text,
    publish,
    share_source,
    validate_checklist,
)


def _validate_internal(
    errors: Errors,
    *,
    from_case: Case,
    to_desk: Desk | None,
    to_partner: Partner | None,
    share_full_file: bool,
) -> None:
    if to_desk is None:
        add_error(errors, "to_desk", _("choose the receiving desk"), "required")
    elif to_desk.pk == from_case.desk_id:
        add_error(
            errors, "to_desk", _("a case is referred to another desk, not its own"), "same_desk"
        )
    elif not to_desk.active:
        add_error(errors, "to_desk", _("this desk is not active"), "inactive")
    if to_partner is not None:
        add_error(
            errors, "to_partner", _("an internal referral goes to a desk, not a partner"), "invalid"
        )
    if from_case.client_id is None:
        add_error(
            errors,
            "from_case",
            _("an anonymous case is not referred to another desk: register the client first"),
            "anonymous",
        )
    if share_full_file and not policy.case_is_shareable(from_case):
        add_error(
            errors,
            "share_full_file",
            _("the file of a confidential or restricted case is never shared by a referral"),
            "not_shareable",
        )


def _validate_external(
    errors: Errors,
    *,
    to_desk: Desk | None,
    to_partner: Partner | None,
    share_full_file: bool,
    attach_to_existing: bool,
) -> None:
    if to_partner is None:
        add_error(errors, "to_partner", _("choose the partner organisation"), "required")
    elif not to_partner.active:
        add_error(errors, "to_partner", _("this partner is not active"), "inactive")
    if to_desk is not None:
        add_error(
            errors, "to_desk", _("an external referral goes to a partner, not a desk"), "invalid"
        )
    if share_full_file:
        add_error(
            errors,
            "share_full_file",
            _("a partner organisation never gets the case file"),
            "not_shareable",
        )
    if attach_to_existing:
        add_error(
            errors, "attach_to_existing", _("only an internal referral is attached"), "invalid"
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
    case_policy.require_offered(by, from_case, "refer")
    now = timezone.now()
    today = timezone.localdate(now)
    handoff_note = clean_text(handoff_note)
    documents_passed = clean_text(documents_passed)
    original_referrer = clean_text(original_referrer)
    internal = kind == ReferralKind.INTERNAL
    errors: Errors = {}
    if kind not in ReferralKind.values:
        add_error(
            errors, "kind", _("'%s' is not one of: internal, external") % kind, "invalid_choice"
        )
    if not handoff_note:
        add_error(errors, "handoff_note", _("write a hand-off note for the receiver"), "required")
    if due_on is not None and due_on < today:
        add_error(errors, "due_on", _("the due date cannot be in the past"), "past")
    if internal:
        _validate_internal(
            errors,
            from_case=from_case,
            to_desk=to_desk,
            to_partner=to_partner,
            share_full_file=share_full_file,
        )
    elif kind == ReferralKind.EXTERNAL:
        _validate_external(
            errors,
            to_desk=to_desk,
            to_partner=to_partner,
            share_full_file=share_full_file,
            attach_to_existing=attach_to_existing,
        )
    validate_checklist(
        errors,
        required=checklist_required_for(to_partner),
        consent_obtained=consent_obtained,
        consent_obtained_on=consent_obtained_on,
        documents_passed=documents_passed,
        informs_original_referrer=informs_original_referrer,
        original_referrer=original_referrer,
    )
    flags = None
    if internal and not errors:
        flags = selectors.referral_flags(user=by, from_case=from_case, to_desk=to_desk, at=now)
        if attach_to_existing and not flags.existing_case_visible:
            add_error(
                errors,
                "attach_to_existing",
                _("the receiving desk has no open case for this client to attach to"),
                "nothing_to_attach",
            )
    raise_if_errors(errors)

    target = {"to_desk": to_desk} if internal else {"to_partner": to_partner}
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
        consent_obtained_on=consent_obtained_on or (today if consent_obtained else None),
        documents_passed=documents_passed,
        original_referrer=original_referrer,
        informs_original_referrer=informs_original_referrer,
    )
    if internal:
        referral.status = ReferralStatus.PENDING
        referral.due_on = due_on or add_business_days(today, accept_business_days())
        referral.existing_case = flags.existing_case
        referral.loop_of = flags.loop
        referral.attached_to_existing = attach_to_existing
        referral.created_case = (
            flags.existing_case
            if attach_to_existing
            else _open_receiving_case(from_case, to_desk, by=by, title=title, topics=topics)
        )
    else:
        referral.status = ReferralStatus.SENT
        referral.due_on = due_on or add_business_days(today, acknowledge_business_days())
    save_tracked(referral, by=by, reason=_("referred"))
    if referral.share_full_file:
        # The share lasts until the referral is declined (`referral_decline`); the case policy
        # stops showing it as soon as the case is no longer normal.
        case_services.case_share_grant(case=from_case, desk=to_desk, source=share_source(referral))
    publish(referral, "referral_sent")
    return referral


def _open_receiving_case(
    from_case: Case, to_desk: Desk, *, by: User, title: str, topics: Iterable[str] | None
) -> Case:
    """The linked intake in the receiving desk's queue, with what may leave the referring desk:
    a confidential case's title (it may name the invention) and topics stay behind."""
    shareable = policy.case_is_shareable(from_case)
    if not clean_text(title):
        title = from_case.title if shareable else _("Referral from %s") % from_case.desk.name
    if topics is None:
        topics = list(from_case.topics.values_list("code", flat=True)) if shareable else []
    return case_services.case_open(
        desk=to_desk,
        client=from_case.client,
        title=clean_text(title),
        intake_channel="referral",
        by=by,
        referred_from=from_case,
        topics=list(topics),
        priority=from_case.priority,
    )

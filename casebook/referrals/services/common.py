"""What the referral services share: the referral row lock, the check that opens every answer,
the saving step, the deadlines, the checklist's validation and the events."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.models import ensure_version, save_tracked
from casebook.intake import services as case_services
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case
from casebook.referrals import policy, selectors
from casebook.referrals.models import InformsReferrer, Referral

Errors = dict[str, list[ValidationError]]


def accept_business_days() -> int:
    return settings.CASEBOOK_REFERRAL_ACCEPT_BUSINESS_DAYS


def acknowledge_business_days() -> int:
    return settings.CASEBOOK_REFERRAL_ACKNOWLEDGE_BUSINESS_DAYS


def outcome_business_days() -> int:
    return settings.CASEBOOK_REFERRAL_OUTCOME_BUSINESS_DAYS


def lock_referral(referral: Referral) -> Referral:
    """The referral re-read under a lock of its row only (`of=("self",)`), so that answers to
    it serialise; its cases, desk and partner come along in the same query, unlocked."""
    return (
        Referral.objects.select_for_update(no_key=True, of=("self",))
        .select_related(*selectors.REFERRAL_JOINS)
        .get(pk=referral.pk)
    )


def locked_for(
    referral: Referral, *, by: User, action: str, expected_version: int | None
) -> Referral:
    """The referral locked for `action` by `by`: refused with 403 naming the rule when the
    role is missing, 409 naming the states when its state does not have it, 412 when it
    changed since the caller read `expected_version` (None checks nothing)."""
    referral = lock_referral(referral)
    policy.require_offered(by, referral, action)
    ensure_version(referral, expected_version)
    return referral


def record(referral: Referral, *, by: User, reason: str, **changes: Any) -> Referral:
    """Set `changes` on the locked referral and save them: one history row naming `by`."""
    for name, value in changes.items():
        setattr(referral, name, value)
    save_tracked(referral, by=by, update_fields=list(changes), reason=reason)
    return referral


def notify_ids(referral: Referral) -> set[int]:
    """Who hears of a referral by name: its referrer and the referring case's lead."""
    ids = {referral.referred_by_id}
    if referral.from_case.lead_counselor_id:
        ids.add(referral.from_case.lead_counselor_id)
    return ids


def publish(referral: Referral, kind: str) -> None:
    """Both desks hear about it after the commit: the referring case (and `notify_ids`) and
    the receiving case."""
    publish_case_event(referral.from_case, kind, notify_user_ids=notify_ids(referral))
    if referral.created_case_id:
        publish_case_event(referral.created_case, kind)


def share_source(referral: Referral) -> str:
    """How intake's table of case shares names the share a referral granted."""
    return f"referral:{referral.pk}"


def referral_shares_revoke(*, case: Case) -> int:
    """End every share of `case`'s file its referrals granted (the case became restricted:
    docs/rules.md, "Visibility"); the number of referrals whose share ended."""
    referrals = list(Referral.objects.filter(from_case=case, share_full_file=True).only("pk"))
    for referral in referrals:
        case_services.case_share_revoke(source=share_source(referral))
    return len(referrals)


def clean_text(value: str | None) -> str:
    return (value or "").strip()


def add_error(errors: Errors, field: str, message: str, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def validate_checklist(
    errors: Errors,
    *,
    required: bool,
    consent_obtained: bool,
    consent_obtained_on: Any,
    documents_passed: str,
    informs_original_referrer: str,
    original_referrer: str,
) -> None:
    """The hand-off checklist's rules (docs/rules.md, "Referrals"), added to `errors`."""
    if informs_original_referrer and informs_original_referrer not in InformsReferrer.values:
        add_error(
            errors,
            "informs_original_referrer",
            _("'%s' is not one of: us, receiver, nobody") % informs_original_referrer,
            "invalid_choice",
        )
    if (
        informs_original_referrer in (InformsReferrer.US, InformsReferrer.RECEIVER)
        and not original_referrer
    ):
        add_error(
            errors, "original_referrer", _("name the original referrer to be informed"), "required"
        )
    if consent_obtained_on is not None and consent_obtained_on > timezone.localdate():
        add_error(
            errors,
            "consent_obtained_on",
            _("the consent date cannot be in the future"),
            "future",
        )
    if not required:
        return
    if not consent_obtained:
        add_error(
            errors,
            "consent_obtained",
            _("the client's consent to share information is needed before this hand-off"),
            "consent_required",
        )
    if not documents_passed:
        add_error(
            errors, "documents_passed", _("list the documents passed (or write none)"), "required"
        )
    if not informs_original_referrer:
        add_error(
            errors,
            "informs_original_referrer",
            _("say who informs the original referrer"),
            "required",
        )

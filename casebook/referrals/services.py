"""Every write to referrals and partners goes through these functions (DESIGN §6).

Sharing rule (decided here, enforced in `casebook.intake.policy`): the receiving desk always
sees the hand-off note and the referring case's summary. It sees the referring case's full
file only when the referrer ticks `share_full_file`, and only while that case is `normal`:
a `confidential` case (an unpublished invention: its novelty must not leak) and a
`restricted` case (the exit track) are never shared by a referral, so the box is refused
for them, and a share lapses by itself if the case later becomes confidential or restricted.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, DeskRole, User
from casebook.common.calendar import add_business_days
from casebook.common.errors import (
    ActionNotPermitted,
    ConflictError,
    TransitionNotAllowed,
)
from casebook.common.models import check_version, raise_if_errors, save_tracked
from casebook.intake import policy
from casebook.intake import services as case_services
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case, CaseStatus, ClosureReason, Confidentiality
from casebook.referrals.models import (
    OPEN_STATUSES,
    InformsReferrer,
    Partner,
    PartnerKind,
    Referral,
    ReferralKind,
    ReferralStatus,
)

RS = ReferralStatus
LOOP_WINDOW = dt.timedelta(days=30)
# Partners whose hand-offs with the yorozu hub follow the checklist (DESIGN §6).
CHECKLIST_PARTNER_KINDS = frozenset(
    {PartnerKind.SUCCESSION_CENTRE, PartnerKind.REVITALISATION_COUNCIL}
)
ACCEPT_RULE = "only a coordinator of the receiving desk or a manager accepts or declines a referral"


def accept_business_days() -> int:
    return int(getattr(settings, "CASEBOOK_REFERRAL_ACCEPT_BUSINESS_DAYS", 3))


def acknowledge_business_days() -> int:
    return int(getattr(settings, "CASEBOOK_REFERRAL_ACKNOWLEDGE_BUSINESS_DAYS", 5))


def outcome_business_days() -> int:
    return int(getattr(settings, "CASEBOOK_REFERRAL_OUTCOME_BUSINESS_DAYS", 20))


def checklist_required(*, from_case: Case, to_partner: Partner | None) -> bool:
    """The yorozu hub ↔ revitalisation council ↔ succession centre hand-offs need it."""
    return to_partner is not None and to_partner.kind in CHECKLIST_PARTNER_KINDS


def can_answer(user: User, referral: Referral) -> bool:
    """Accept or decline: a coordinator of the receiving desk, or a manager (DESIGN §9)."""
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


def _lock(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("from_case__desk", "to_desk", "to_partner", "created_case__desk")
        .get(pk=referral.pk)
    )


def _lock_case(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("desk", "client")
        .get(pk=case.pk)
    )


def _notify_ids(referral: Referral) -> set[int]:
    ids = {referral.referred_by_id}
    if referral.from_case.lead_counselor_id:
        ids.add(referral.from_case.lead_counselor_id)
    return ids


def _publish(referral: Referral, kind: str) -> None:
    """Both desks hear about it: the referring case (and its referrer) and the receiving case."""
    publish_case_event(referral.from_case, kind, notify_user_ids=_notify_ids(referral))
    if referral.created_case_id:
        publish_case_event(referral.created_case, kind)


def _today() -> dt.date:
    return timezone.localdate()


def _clean_text(value: str | None) -> str:
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


def _intake_actor(by: User, desk: Desk) -> User:
    """The referrer, allowed to put a case in `desk`'s queue for this referral only.

    A referral is an intake taken for the receiving desk: DESIGN §9 lets whoever may refer
    the case create it there, though they are no member of that desk. The acting user (and
    so every history row) stays `by`; only the desk-role cache of a private copy gains the
    counselor role at `desk`, for the duration of the `case_open` call.
    """
    if policy.can_take_intake(by, desk):
        return by
    actor = copy.copy(by)
    roles = {desk_id: set(r) for desk_id, r in policy.desk_roles(by).items()}
    roles.setdefault(desk.pk, set()).add(DeskRole.COUNSELOR)
    actor._casebook_desk_roles = roles
    return actor


def _validate_checklist(
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
    from_case = _lock_case(from_case)
    policy.require(by, policy.Action.REFER, from_case)
    if from_case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed(current=from_case.status, requested="refer")
    now = timezone.now()
    handoff_note = _clean_text(handoff_note)
    documents_passed = _clean_text(documents_passed)
    original_referrer = _clean_text(original_referrer)
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if kind not in ReferralKind.values:
        add("kind", _("'%s' is not one of: internal, external") % kind, "invalid_choice")
    if not handoff_note:
        add("handoff_note", _("write a hand-off note for the receiver"), "required")
    if due_on is not None and due_on < _today():
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
    _validate_checklist(
        errors,
        required=checklist_required(from_case=from_case, to_partner=to_partner),
        consent_obtained=consent_obtained,
        documents_passed=documents_passed,
        informs_original_referrer=informs_original_referrer,
        original_referrer=original_referrer,
    )
    if consent_obtained_on is not None and consent_obtained_on > _today():
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
        referral.status = RS.PENDING
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
                title=_clean_text(title) or _default_title(from_case),
                intake_channel="referral",
                by=_intake_actor(by, to_desk),
                topics=list(topics) if topics is not None else _default_topics(from_case),
                priority=from_case.priority,
            )
    else:
        referral.status = RS.SENT
        referral.due_on = due_on or add_business_days(
            timezone.localdate(now), acknowledge_business_days()
        )
    save_tracked(referral, by=by, reason=_("referred"))
    _publish(referral, "referral_sent")
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


def _ensure(referral: Referral, requested: str, allowed: set[str]) -> None:
    if referral.status not in allowed:
        raise TransitionNotAllowed(current=referral.status, requested=requested)


def _require_answer(by: User, referral: Referral) -> None:
    if not can_answer(by, referral):
        raise ActionNotPermitted(ACCEPT_RULE)


@transaction.atomic
def referral_accept(
    *,
    referral: Referral,
    by: User,
    lead_counselor: User | None = None,
    expected_version: int | None = None,
) -> Referral:
    """The receiving desk takes the case on; optionally names its lead counselor at once."""
    referral = _lock(referral)
    _require_answer(by, referral)
    _ensure(referral, "accept", {RS.PENDING})
    check_version(referral, expected_version)
    referral.status = RS.ACCEPTED
    referral.responded_by = by
    referral.responded_at = timezone.now()
    save_tracked(
        referral, by=by, update_fields=["status", "responded_by", "responded_at"], reason="accept"
    )
    case = referral.created_case
    if lead_counselor is not None and case is not None and case.status == CaseStatus.INTAKE:
        case_services.case_assign(
            case=case, counselor=lead_counselor, by=by, reason=_("accepted referral")
        )
    _publish(referral, "referral_accepted")
    return referral


@transaction.atomic
def referral_decline(
    *, referral: Referral, by: User, reason: str, expected_version: int | None = None
) -> Referral:
    """Decline with a reason; the case opened for the referral leaves the queue (closed)."""
    referral = _lock(referral)
    _require_answer(by, referral)
    _ensure(referral, "decline", {RS.PENDING})
    reason = _clean_text(reason)
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("say why the referral is declined"), code="required")}
        )
    check_version(referral, expected_version)
    referral.status = RS.DECLINED
    referral.decline_reason = reason
    referral.responded_by = by
    referral.responded_at = timezone.now()
    save_tracked(
        referral,
        by=by,
        update_fields=["status", "decline_reason", "responded_by", "responded_at"],
        reason=reason,
    )
    case = referral.created_case
    if case is not None and not referral.attached_to_existing and case.is_open:
        case_services.case_close(
            case=case,
            by=by,
            reason=ClosureReason.OUT_OF_SCOPE,
            summary=_("Referral declined: %s") % reason,
        )
    _publish(referral, "referral_declined")
    return referral


@transaction.atomic
def referral_acknowledge(
    *,
    referral: Referral,
    by: User,
    partner_contact: str = "",
    due_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Referral:
    """The partner confirmed it has the client; the outcome becomes the next follow-up."""
    referral = _lock(referral)
    if not can_record_partner_reply(by, referral):
        raise ActionNotPermitted(_("only those who may refer the case record a partner's reply"))
    _ensure(referral, "acknowledge", {RS.SENT})
    if due_on is not None and due_on < _today():
        raise ValidationError(
            {"due_on": ValidationError(_("the due date cannot be in the past"), code="past")}
        )
    check_version(referral, expected_version)
    now = timezone.now()
    referral.status = RS.ACKNOWLEDGED
    referral.acknowledged_at = now
    referral.partner_contact = _clean_text(partner_contact) or referral.partner_contact
    referral.due_on = due_on or add_business_days(timezone.localdate(now), outcome_business_days())
    save_tracked(
        referral,
        by=by,
        update_fields=["status", "acknowledged_at", "partner_contact", "due_on"],
        reason="acknowledge",
    )
    _publish(referral, "referral_acknowledged")
    return referral


@transaction.atomic
def referral_report_outcome(
    *, referral: Referral, by: User, outcome: str, expected_version: int | None = None
) -> Referral:
    referral = _lock(referral)
    if not can_record_partner_reply(by, referral):
        raise ActionNotPermitted(_("only those who may refer the case record a partner's reply"))
    # A partner may report the outcome without a separate acknowledgement first.
    _ensure(referral, "report-outcome", {RS.SENT, RS.ACKNOWLEDGED})
    outcome = _clean_text(outcome)
    if not outcome:
        raise ValidationError(
            {"outcome": ValidationError(_("write what came of the referral"), code="required")}
        )
    check_version(referral, expected_version)
    now = timezone.now()
    referral.status = RS.OUTCOME_REPORTED
    referral.outcome = outcome
    referral.outcome_reported_at = now
    referral.acknowledged_at = referral.acknowledged_at or now
    referral.due_on = None
    save_tracked(
        referral,
        by=by,
        update_fields=["status", "outcome", "outcome_reported_at", "acknowledged_at", "due_on"],
        reason=outcome,
    )
    _publish(referral, "referral_outcome_reported")
    return referral


CHECKLIST_FIELDS = (
    "consent_obtained",
    "consent_obtained_on",
    "documents_passed",
    "original_referrer",
    "informs_original_referrer",
    "original_referrer_informed",
)


@transaction.atomic
def referral_update_checklist(
    *, referral: Referral, by: User, expected_version: int | None, **changes: Any
) -> Referral:
    """Tick off the hand-off checklist as it happens (consent, documents, referrer informed)."""
    unknown = set(changes) - set(CHECKLIST_FIELDS)
    if unknown:
        raise ValueError(f"not checklist fields: {sorted(unknown)}")
    referral = _lock(referral)
    if not policy.can(by, policy.Action.REFER, referral.from_case):
        raise ActionNotPermitted(_("only those who may refer the case keep its hand-off checklist"))
    check_version(referral, expected_version)
    fields: list[str] = []
    for name in CHECKLIST_FIELDS[:-1]:
        if name in changes:
            value = changes[name]
            if isinstance(value, str):
                value = value.strip()
            setattr(referral, name, value)
            fields.append(name)
    if referral.consent_obtained and referral.consent_obtained_on is None:
        referral.consent_obtained_on = _today()
        fields.append("consent_obtained_on")
    if "original_referrer_informed" in changes:
        informed = bool(changes["original_referrer_informed"])
        if informed and referral.original_referrer_informed_at is None:
            referral.original_referrer_informed_at = timezone.now()
        elif not informed:
            referral.original_referrer_informed_at = None
        fields.append("original_referrer_informed_at")
    errors: dict[str, list[ValidationError]] = {}
    _validate_checklist(
        errors,
        required=checklist_required(from_case=referral.from_case, to_partner=referral.to_partner),
        consent_obtained=referral.consent_obtained,
        documents_passed=referral.documents_passed,
        informs_original_referrer=referral.informs_original_referrer,
        original_referrer=referral.original_referrer,
    )
    if referral.consent_obtained_on and referral.consent_obtained_on > _today():
        errors.setdefault("consent_obtained_on", []).append(
            ValidationError(_("the consent date cannot be in the future"), code="future")
        )
    raise_if_errors(errors)
    save_tracked(referral, by=by, update_fields=sorted(set(fields)), reason="checklist")
    publish_case_event(referral.from_case, "referral_updated")
    return referral


def referral_close_blocker(case: Case) -> str | None:
    """Registered with the case lifecycle: open internal referrals keep a case from closing."""
    outgoing = (
        Referral.objects.filter(from_case=case, kind=ReferralKind.INTERNAL, status=RS.PENDING)
        .select_related("to_desk")
        .first()
    )
    if outgoing is not None:
        return _("the referral to %(desk)s (#%(id)s) is still awaiting an answer") % {
            "desk": outgoing.to_desk,
            "id": outgoing.pk,
        }
    incoming = (
        Referral.objects.filter(created_case=case, kind=ReferralKind.INTERNAL, status=RS.PENDING)
        .select_related("from_case__desk")
        .first()
    )
    if incoming is not None:
        return _("accept or decline the referral from %(desk)s (#%(id)s) first") % {
            "desk": incoming.from_case.desk,
            "id": incoming.pk,
        }
    return None


PARTNER_FIELDS = (
    "code",
    "name",
    "name_kana",
    "kind",
    "municipality",
    "address",
    "phone",
    "email",
    "contact_person",
    "url",
    "note",
    "active",
)


def _require_partner_admin(by: User) -> None:
    if not (by.is_manager or by.org_role == "admin" or by.is_superuser):
        raise ActionNotPermitted(_("only a manager or an administrator edits the partner registry"))


@transaction.atomic
def partner_create(*, by: User, **fields: Any) -> Partner:
    _require_partner_admin(by)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise ValueError(f"not partner fields: {sorted(unknown)}")
    partner = Partner(**{k: v.strip() if isinstance(v, str) else v for k, v in fields.items()})
    save_tracked(partner, by=by)
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, by: User, **fields: Any) -> Partner:
    _require_partner_admin(by)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise ValueError(f"not partner fields: {sorted(unknown)}")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    for name, value in fields.items():
        setattr(partner, name, value.strip() if isinstance(value, str) else value)
    save_tracked(partner, by=by, update_fields=list(fields))
    return partner


@transaction.atomic
def referrals_announce_overdue(*, today: dt.date | None = None, since_days: int = 1) -> int:
    """Tell both boards (and the referrer) about referrals that fell overdue lately.

    Run once a day (`manage.py referrals_overdue`): referrals whose due date lies in the
    `since_days` days before `today` are announced once, as `referral_overdue`.
    """
    today = today or _today()
    due = (
        Referral.objects.filter(
            status__in=OPEN_STATUSES,
            due_on__lt=today,
            due_on__gte=today - dt.timedelta(days=since_days),
        )
        .select_related("from_case__desk", "created_case__desk")
        .order_by("pk")
    )
    count = 0
    for referral in due:
        _publish(referral, "referral_overdue")
        count += 1
    return count

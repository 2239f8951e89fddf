"""Demo partner registry (Ibaraki) and referrals between the demo cases.

Runs after the core demo. Partners are found by code before they are created; referrals are
seeded once (a database that already holds referrals gets none), through the services, each
as of the moment it happened, so due dates, answers and history read in order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from casebook.accounts.models import Desk, DeskMembership, DeskRole, User
from casebook.common.calendar import add_business_days
from casebook.common.demo import DemoContext, demo_table
from casebook.common.errors import DomainError
from casebook.intake import policy
from casebook.intake.demo.clock import DemoClock
from casebook.intake.models import Case, CaseStatus
from casebook.referrals import policy as referral_policy
from casebook.referrals import services
from casebook.referrals.models import Partner, PartnerKind, Referral, checklist_required_for


@dataclass(frozen=True)
class PartnerSpec:
    code: str
    name: str
    name_kana: str
    kind: str
    municipality: str
    note: str = ""


PARTNERS: tuple[PartnerSpec, ...] = tuple(
    PartnerSpec(**{**row, "kind": PartnerKind(row["kind"])})
    for row in demo_table(__file__, "demo_partners.toml")["partners"]
)
# Which partner suits a case, by its first matching topic.
PARTNER_BY_TOPIC: tuple[tuple[str, str], ...] = (
    ("trade_export", "jetro-ibaraki"),
    ("succession", "succession-ibaraki"),
    ("management_improvement", "revitalisation-ibaraki"),
    ("subcontracting_dispute", "bar-ibaraki"),
    ("finance", "bank-joyo"),
    ("startup", "jfc-mito"),
    ("ip_patent", "inpit"),
    ("ip_trademark", "inpit"),
    ("sales_channels", "shokokai-ibaraki"),
)
# Which desk an internal referral goes to, by topic.
DESK_BY_TOPIC: tuple[tuple[str, str], ...] = (
    ("ip_trademark", "ip"),
    ("ip_patent", "ip"),
    ("ip_design", "ip"),
    ("trade_export", "trade"),
    ("subcontracting_dispute", "subcontract"),
    ("sales_channels", "matching"),
    ("production_technology", "dispatch"),
)
HANDOFF_NOTES = {
    "ip": "新商品の名称について商標出願の可否を相談したいとのこと。先行商標調査をお願いします。",
    "trade": "海外の展示会で引き合いあり。輸出手続きと代金回収の相談をお願いします。",
    "subcontract": "取引先からの一方的な単価引下げについて相談あり。対応をお願いします。",
    "matching": "自社の加工技術を生かせる新たな発注先を探しています。",
    "dispatch": "生産工程の改善に専門家派遣を希望。詳細はヒアリング済みです。",
    "yorozu": "知財の手続きは完了。今後の販路開拓をご支援ください。",
}
DECLINE_REASONS = (
    "当窓口の対象外（既に他機関で支援中）のため",
    "相談者と連絡が取れず、受入れを見送ります",
)


def seed_partners(ctx: DemoContext) -> dict[str, Partner]:
    admin = ctx.users.get("admin")
    partners: dict[str, Partner] = {p.code: p for p in Partner.objects.all()}
    created = 0
    for spec in PARTNERS:
        if spec.code in partners:
            continue
        partners[spec.code] = services.partner_create(by=admin, **asdict(spec))
        created += 1
    ctx.log(f"partners: {created} created ({len(partners)} in the registry)")
    return partners


def _coordinator(desk_code: str) -> User | None:
    membership = (
        DeskMembership.objects.filter(desk__code=desk_code, role=DeskRole.COORDINATOR, active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def _referrer(case: Case) -> User | None:
    if case.lead_counselor_id and policy.can(case.lead_counselor, policy.Action.REFER, case):
        return case.lead_counselor
    return _coordinator(case.desk.code)


def _first_match(codes: set[str], table: tuple[tuple[str, str], ...]) -> str | None:
    for topic, target in table:
        if topic in codes:
            return target
    return None


def _moment(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _candidates(ctx: DemoContext) -> list[Case]:
    """Open demo cases with a client, oldest first, that were opened at least a week ago."""
    week_ago = timezone.now() - dt.timedelta(days=7)
    return list(
        Case.objects.exclude(status=CaseStatus.CLOSED)
        .filter(client__isnull=False, opened_at__lt=week_ago)
        .exclude(intake_channel="referral")
        .select_related("desk", "client", "lead_counselor")
        .prefetch_related("topics")
        .order_by("opened_at", "pk")
    )


def seed(ctx: DemoContext) -> None:
    partners = seed_partners(ctx)
    if Referral.objects.exists():
        ctx.log("referrals: already seeded")
        return
    quick = ctx.quick
    internal_target, external_target = (4, 4) if quick else (30, 40)
    clock = DemoClock()
    today = timezone.localdate()  # the real day: the clock only runs in the block below
    counts = {"internal": 0, "accepted": 0, "declined": 0, "external": 0, "skipped": 0}
    with clock.running():
        for n, case in enumerate(_candidates(ctx)):
            if counts["internal"] >= internal_target and counts["external"] >= external_target:
                break
            codes = {t.code for t in case.topics.all()}
            referrer = _referrer(case)
            if referrer is None:
                continue
            start = max(
                timezone.localdate(case.opened_at) + dt.timedelta(days=3),
                today - dt.timedelta(days=120),
            )
            start = min(start, today - dt.timedelta(days=2))
            desk_code = _first_match(codes, DESK_BY_TOPIC) or (
                "yorozu" if case.desk.code != "yorozu" else None
            )
            partner_code = _first_match(codes, PARTNER_BY_TOPIC) or "cci-mito"
            try:
                if (
                    desk_code
                    and desk_code != case.desk.code
                    and counts["internal"] < internal_target
                ):
                    _internal(ctx, clock, case, referrer, desk_code, start, today, n, counts)
                elif counts["external"] < external_target and referral_policy.case_is_shareable(
                    case
                ):
                    _external(
                        clock, case, referrer, partners[partner_code], start, today, n, counts
                    )
            except (DomainError, ValueError) as error:
                counts["skipped"] += 1
                ctx.log(f"referral of {case.number} skipped: {error}")
    ctx.log(
        f"referrals: {counts['internal']} internal ({counts['accepted']} accepted, "
        f"{counts['declined']} declined), {counts['external']} external"
    )


def _internal(
    ctx: DemoContext,
    clock: DemoClock,
    case: Case,
    referrer: User,
    desk_code: str,
    start: dt.date,
    today: dt.date,
    n: int,
    counts: dict[str, int],
) -> None:

    clock.set(_moment(start, 10))
    try:
        referral = services.referral_create(
            from_case=case,
            by=referrer,
            kind="internal",
            to_desk=Desk.objects.get(code=desk_code),
            handoff_note=HANDOFF_NOTES.get(desk_code, "ご対応をお願いします。"),
            share_full_file=referral_policy.case_is_shareable(case) and n % 3 == 0,
        )
    except ValidationError as error:
        ctx.log(f"referral of {case.number} skipped: {error.messages[0]}")
        return
    counts["internal"] += 1
    answer_on = add_business_days(start, 1 + n % 4)
    coordinator = _coordinator(desk_code)
    if coordinator is None or n % 7 == 5 or answer_on >= today:
        return  # left waiting: some are overdue on both boards
    clock.set(_moment(answer_on, 14))
    if n % 6 == 1:
        services.referral_decline(
            referral=referral, by=coordinator, reason=DECLINE_REASONS[n % len(DECLINE_REASONS)]
        )
        counts["declined"] += 1
        return
    counselors = list(
        User.objects.filter(
            memberships__desk__code=desk_code,
            memberships__role=DeskRole.COUNSELOR,
            memberships__active=True,
        ).order_by("username")
    )
    lead = counselors[n % len(counselors)] if counselors else None
    services.referral_accept(referral=referral, by=coordinator, lead_counselor=lead)
    counts["accepted"] += 1


def _external(
    clock: DemoClock,
    case: Case,
    referrer: User,
    partner: Partner,
    start: dt.date,
    today: dt.date,
    n: int,
    counts: dict[str, int],
) -> None:
    clock.set(_moment(start, 11))
    checklist = {}
    if checklist_required_for(partner):
        checklist = {
            "consent_obtained": True,
            "documents_passed": "決算書3期分、資金繰り表、借入明細",
            "original_referrer": "常陽銀行" if n % 2 else "",
            "informs_original_referrer": "us" if n % 2 else "nobody",
        }
    try:
        referral = services.referral_create(
            from_case=case,
            by=referrer,
            kind="external",
            to_partner=partner,
            handoff_note=f"{partner.name}へご紹介。相談内容の概要をお伝え済みです。",
            **checklist,
        )
    except ValidationError:
        return
    counts["external"] += 1
    acknowledged_on = add_business_days(start, 2 + n % 3)
    if n % 5 == 4 or acknowledged_on >= today:
        return
    clock.set(_moment(acknowledged_on, 15))
    services.referral_acknowledge(referral=referral, by=referrer, partner_contact="ご担当者")
    outcome_on = add_business_days(acknowledged_on, 10 + n % 10)
    if n % 3 == 0 or outcome_on >= today:
        return
    clock.set(_moment(outcome_on, 16))
    services.referral_report_outcome(
        referral=referral, by=referrer, outcome="先方にて支援開始。面談を実施済み。"
    )

"""Demo data of expert dispatch: the plan's programs for FY2021 and, carried over, for the
current fiscal year; about 60 experts (patent attorneys among them) with the demo login
`expert.demo`; and this year's dispatches replayed through the services as of each step.

Idempotent: programs are found by (fiscal year, code), experts by e-mail, and the
dispatches are seeded only while the current year's programs have none.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casebook.accounts.models import Desk, User
from casebook.common.calendar import add_business_days
from casebook.common.demo import DemoContext
from casebook.common.errors import DomainError
from casebook.common.fiscal import current_fiscal_year, fiscal_year_bounds
from casebook.common.japanese import search_key
from casebook.common.models import save_tracked
from casebook.experts import selectors, services
from casebook.experts.models import (
    ConflictDeclaration,
    Dispatch,
    DispatchProgram,
    Expert,
    SubQuota,
)
from casebook.intake.demo.clock import DemoClock
from casebook.intake.models import Case

EMAIL_DOMAIN = "experts.example.jp"
PLAN_YEAR = 2021
MUNICIPALITIES = [
    "水戸市", "日立市", "土浦市", "古河市", "つくば市", "ひたちなか市",
    "筑西市", "鹿嶋市", "取手市", "笠間市", "神栖市", "常総市",
]  # fmt: skip

# code, name, funding, desk, quota, per-client cap, ratio, innovation plan, sub-quotas
PROGRAMS = [
    (
        "expert",
        "エキスパート派遣事業",
        "県補助金",
        "dispatch",
        Decimal("800"),
        Decimal("10"),
        Decimal("0.333"),
        False,
        [("covid", "新型コロナウイルス感染症対策支援枠", Decimal("40"), True)],
    ),
    (
        "innovation_follow_up",
        "経営革新計画フォローアップ派遣",
        "県補助金",
        "dispatch",
        Decimal("50"),
        Decimal("5"),
        Decimal("0.333"),
        True,
        [],
    ),
    (
        "ip_expert",
        "知財専門家派遣",
        "INPIT 知財総合支援窓口事業",
        "ip",
        None,
        None,
        None,
        False,
        [],
    ),
]

# qualification, how many, specialties to draw from, day rate range
ROSTER = [
    ("patent_attorney", 12, ["ip_patent", "ip_trademark", "ip_design", "tech_machinery",
                             "tech_electronics", "tech_chemistry", "tech_software"], (40, 60)),
    ("sme_consultant", 18, ["management", "management_improvement", "finance", "marketing",
                            "sales_channels", "succession", "startup", "grants"], (30, 50)),
    ("engineer_pe", 9, ["production_technology", "quality_process", "product_development",
                        "tech_machinery", "tech_electronics", "tech_chemistry"], (35, 55)),
    ("former_engineer", 8, ["production_technology", "quality_process", "tech_food",
                            "tech_machinery", "product_development"], (30, 40)),
    ("tax_accountant", 4, ["finance", "succession", "closure", "management_improvement"],
     (35, 50)),
    ("labour_consultant", 4, ["labour", "management"], (30, 45)),
    ("lawyer", 3, ["subcontracting_dispute", "closure", "succession"], (50, 60)),
    ("other", 3, ["digital", "marketing", "trade_export", "tech_software"], (30, 45)),
]  # fmt: skip


def _programs(ctx: DemoContext, fiscal_year: int, by: User) -> dict[str, DispatchProgram]:
    found: dict[str, DispatchProgram] = {}
    for code, name, funding, desk_code, quota, cap, ratio, plan, subs in PROGRAMS:
        program = DispatchProgram.objects.filter(fiscal_year=fiscal_year, code=code).first()
        if program is None:
            program = DispatchProgram(
                fiscal_year=fiscal_year,
                code=code,
                name=name,
                funding_source=funding,
                desk=ctx.desks.get(desk_code) or Desk.objects.get(code=desk_code),
                quota_days=quota,
                max_days_per_client=cap,
                copay_ratio=ratio,
                requires_innovation_plan=plan,
            )
            save_tracked(program, by=by, reason="demo data")
            for sub_code, sub_name, sub_quota, free in subs:
                save_tracked(
                    SubQuota(
                        program=program, code=sub_code, name=sub_name, quota_days=sub_quota,
                        free=free,
                    ),
                    by=by,
                    reason="demo data",
                )  # fmt: skip
        found[code] = program
    return found


def _experts(ctx: DemoContext, by: User) -> list[Expert]:
    rng = ctx.rng
    experts = []
    existing = {e.email: e for e in Expert.objects.filter(email__endswith=EMAIL_DOMAIN)}
    n = 0
    for qualification, count, pool, (low, high) in ROSTER:
        for _ in range(count):
            n += 1
            last, last_kana, _r = ctx.faker.last_name_pair()
            first, first_kana, _r = ctx.faker.first_name_pair()
            email = f"expert{n:02d}@{EMAIL_DOMAIN}"
            specialties = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
            areas = (
                [settings.CASEBOOK_PREFECTURE]
                if rng.random() < 0.4
                else rng.sample(MUNICIPALITIES, k=rng.randint(2, 5))
            )
            rate = rng.randint(low, high) * 1000
            max_days = Decimal(rng.choice([30, 40, 50, 60]))
            if email in existing:
                experts.append(existing[email])
                continue
            qualifications = [qualification]
            if qualification == "engineer_pe" and rng.random() < 0.3:
                qualifications.append("sme_consultant")
            expert = Expert(
                name=f"{last} {first}",
                name_kana=f"{last_kana} {first_kana}",
                name_search=search_key(f"{last}{first}") + search_key(f"{last_kana}{first_kana}"),
                affiliation=ctx.faker.company() if rng.random() < 0.5 else "",
                qualifications=qualifications,
                specialties=specialties,
                service_areas=areas,
                day_rate_yen=rate,
                max_days_per_fy=max_days,
                registered_from=dt.date(2019, 4, 1),
                email=email,
            )
            save_tracked(expert, by=by, reason="demo data")
            experts.append(expert)
            if rng.random() < 0.2:
                company = ctx.faker.company()
                save_tracked(
                    ConflictDeclaration(
                        expert=expert,
                        company_name=company,
                        company_name_search=search_key(company),
                        relation=rng.choice(
                            ["advisor", "employer", "relative", "competitor_agent"]
                        ),
                        declared_on=dt.date(2019, 4, 1),
                    ),
                    by=by,
                    reason="demo data",
                )
    return experts


def _demo_login(ctx: DemoContext, expert: Expert, by: User) -> None:
    user = User.objects.filter(username="expert.demo").first()
    if user is None:
        user = User(
            username="expert.demo",
            display_name=expert.name,
            display_name_kana=expert.name_kana,
            email=expert.email,
            password=make_password(ctx.password),
        )
        save_tracked(user, by=by, reason="demo data")
    if expert.user_id != user.pk:
        expert.user = user
        save_tracked(expert, by=by, update_fields=["user"], reason="demo login")
    ctx.users[user.username] = user
    ctx.logins.append(("expert.demo", f"expert ({expert.name}, patent attorney)"))


def _eligible_cases(fiscal_year: int) -> list[Case]:
    first, _ = fiscal_year_bounds(fiscal_year)
    return list(
        Case.objects.filter(
            status__in=("active", "assigned"),
            desk__code__in=("yorozu", "ip"),
            client__size_class__in=("sme", "small"),
            client__prefecture=settings.CASEBOOK_PREFECTURE,
            lead_counselor__isnull=False,
            opened_at__date__gte=first,
        )
        .exclude(confidentiality="restricted")
        .select_related("desk", "client", "lead_counselor")
        .prefetch_related("topics")
        .order_by("opened_at", "id")
    )


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class _Replay:
    def __init__(
        self, ctx: DemoContext, programs: dict[str, DispatchProgram], attorney: Expert
    ) -> None:
        self.ctx = ctx
        self.attorney = attorney  # the demo login: give it a share of the IP dispatches
        self.rng = ctx.rng
        self.programs = programs
        self.clock = DemoClock()
        self.today = timezone.localdate()
        self.real_now = timezone.now()  # the clock answers timezone.now() while it runs
        self.done: dict[str, int] = {}

    def count(self, what: str) -> None:
        self.done[what] = self.done.get(what, 0) + 1

    def set(self, day: dt.date, hour: int) -> bool:
        moment = _at(day, hour)
        if moment > self.real_now:
            return False
        self.clock.set(moment)
        return True

    def approver(self, program: DispatchProgram) -> User:
        return self.ctx.users.get(f"coord.{program.desk.code}") or self.ctx.users["manager"]

    def run(self, cases: list[Case], wanted: int) -> None:
        with self.clock.running():
            for case in cases:
                if self.done.get("requested", 0) >= wanted:
                    break
                try:
                    with transaction.atomic():
                        self.one(case)
                except (DomainError, ValidationError):
                    self.count("skipped")

    def one(self, case: Case) -> None:
        rng = self.rng
        opened = timezone.localtime(case.opened_at).date()
        start = add_business_days(opened, rng.randint(3, 20))
        if start >= self.today:
            return
        topics = {t.code for t in case.topics.all()}
        if case.desk.code == "ip" or topics & {"ip_patent", "ip_trademark", "ip_design"}:
            program, sub_quota = self.programs["ip_expert"], None
        elif case.client.has_innovation_plan:
            program, sub_quota = self.programs["innovation_follow_up"], None
        else:
            program = self.programs["expert"]
            sub_quota = program.sub_quotas.first() if rng.random() < 0.12 else None
        self.set(start, 10)
        suggestions = [
            s
            for s in selectors.suggest_experts(case=case, program=program, limit=60)
            if not s.conflicts
        ]
        if not suggestions:
            return
        expert = suggestions[min(len(suggestions) - 1, rng.randint(0, 2))].expert
        if program.code == "ip_expert" and rng.random() < 0.5:
            expert = next((s.expert for s in suggestions if s.expert == self.attorney), expert)
        days = Decimal(rng.choice([1, 1.5, 2, 2, 3, 3, 4, 5]))
        requester = case.lead_counselor
        dispatch = services.dispatch_request(
            case=case,
            program=program,
            sub_quota=sub_quota,
            expert=expert,
            purpose=f"{case.title}に関する専門家の現地指導",
            requested_days=days,
            by=requester,
            submit=rng.random() > 0.03,
        )
        self.count("requested")
        decide_on = add_business_days(start, rng.randint(1, 4))
        if dispatch.status != "requested" or not self.set(decide_on, 14):
            return
        approver = self.approver(program)
        if rng.random() < 0.07:
            services.dispatch_reject(
                dispatch=dispatch, by=approver, reason="支援対象外の内容のため"
            )
            self.count("rejected")
            return
        dispatch = services.dispatch_approve(dispatch=dispatch, by=approver)
        self.count("approved")
        self._visits(dispatch, decide_on, approver)

    def _visits(self, dispatch: Dispatch, approved_on: dt.date, approver: User) -> None:
        rng = self.rng
        left = dispatch.approved_days
        day = approved_on
        planned: list = []
        expert_user = dispatch.expert.user
        while left > 0:
            day = add_business_days(day, rng.randint(3, 12))
            fraction = (
                Decimal("0.5") if left == Decimal("0.5") or rng.random() < 0.3 else Decimal("1.0")
            )
            try:
                with transaction.atomic():
                    visit = services.visit_schedule(
                        dispatch=dispatch, by=approver, date=day, day_fraction=fraction,
                        hours=Decimal("3") if fraction == Decimal("0.5") else Decimal("6"),
                        place=f"{dispatch.case.client.name} 本社工場",
                    )  # fmt: skip
            except (DomainError, ValidationError):
                continue
            planned.append(visit)
            left -= fraction
        for visit in planned:
            if visit.date >= self.today:
                continue
            delay = rng.choice([0, 1, 1, 2, 3, 4, 5, 9])
            report_on = add_business_days(visit.date, delay)
            if rng.random() < 0.08 or not self.set(report_on, 17):
                continue  # not filed: shows as late once the deadline passes
            services.visit_file_report(
                visit=visit,
                by=expert_user or approver,
                report="現場を確認し、課題を整理した。",
                advice="工程ごとの作業標準を作成すること。",
                client_confirmed_by=dispatch.case.client.representative or "代表者",
            )
            self.count("reported")
        if cancel := rng.random() < 0.05:
            if self.set(planned[0].date if planned else approved_on, 18):
                services.dispatch_cancel(
                    dispatch=dispatch, by=approver, reason="相談者の都合により中止"
                )
                self.count("cancelled")
            return
        if not planned or planned[-1].date >= self.today or cancel:
            return
        done_on = planned[-1].date + dt.timedelta(days=rng.randint(1, 6))
        if not self.set(done_on, 16):
            return
        dispatch.refresh_from_db()
        services.dispatch_complete(
            dispatch=dispatch, by=approver, final_report="改善計画を作成し、実行を支援した。"
        )
        self.count("completed")
        settle_on = done_on + dt.timedelta(days=rng.randint(10, 40))
        if self.set(settle_on, 11):
            dispatch.refresh_from_db()
            services.dispatch_settle(dispatch=dispatch, by=approver)
            self.count("settled")


def seed(ctx: DemoContext) -> None:
    by = ctx.users.get("admin") or User.objects.filter(is_superuser=True).first()
    fiscal_year = current_fiscal_year()
    _programs(ctx, PLAN_YEAR, by)
    programs = _programs(ctx, fiscal_year, by)
    experts = _experts(ctx, by)
    attorney = next(e for e in experts if e.is_patent_attorney)
    _demo_login(ctx, attorney, by)
    ctx.log(
        f"experts: {len(experts)} on the roster, programs for FY{PLAN_YEAR} and FY{fiscal_year}"
    )
    if Dispatch.objects.filter(program__fiscal_year=fiscal_year).exists():
        return
    quick = ctx.quick
    replay = _Replay(ctx, programs, attorney)
    replay.run(_eligible_cases(fiscal_year), wanted=12 if quick else 140)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(replay.done.items()))
    ctx.log(f"dispatches: {summary}")

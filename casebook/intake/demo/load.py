"""A decade of a large hub, written in bulk for measuring (docs/performance.md).

`manage.py generate_load` puts 50,000 clients, 200,000 cases, about a million sessions, 300
experts, 20,000 dispatches and the referrals between desks on top of the demo organisation
(its desks, staff and offices), over ten fiscal years up to today. The `decade` shape closes
what a hub closes (about 8,800 cases stay open, most of them recent); `stress` keeps 60 % of
every year open. `scale` shrinks every count for a smaller copy.

The rows are written as the services would leave them (gap-free numbers per desk and fiscal
year, a lead on every case past intake, a reason and a summary on every closed one) but
without history rows, events or access-log rows, and with the ids chosen here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils import timezone
from faker import Faker

from casebook.accounts.models import Desk, DeskMembership, DeskRole
from casebook.common.fiscal import fiscal_year_of
from casebook.common.japanese import corporate_number_check_digit, phone_digits, search_key
from casebook.common.sme import size_class
from casebook.intake.demo.bulk import BulkWriter, next_id, reset_sequences
from casebook.intake.demo.load_network import NetworkRows
from casebook.intake.demo.vocabulary import (
    CLOSURE_SUMMARIES,
    DESK_TOPICS,
    DESK_WEIGHTS,
    HOLD_REASONS,
    LEGAL_FORMS,
    NOTES,
    PLACES,
    TITLES,
    TRADES,
)
from casebook.intake.models import (
    Case,
    CaseSequence,
    CaseShare,
    Client,
    ClosureReason,
    Confidentiality,
    ConsultationSession,
    IntakeChannel,
    SessionMode,
    Topic,
    case_number,
)
from casebook.intake.services.clients import size_sector

FULL = {
    "clients": 50_000,
    "cases": 200_000,
    "sessions": 1_000_000,
    "experts": 300,
    "dispatches": 20_000,
    "referrals": 8_000,
}
SHAPES = ("decade", "stress")
YEARS = 10
OPEN_STATUS_WEIGHTS = (
    ("intake", 8),
    ("assigned", 17),
    ("active", 58),
    ("on_hold", 10),
    ("dispatch", 7),
)
CLOSURE_WEIGHTS = (
    (ClosureReason.RESOLVED, 62),
    (ClosureReason.REFERRED_OUT, 12),
    (ClosureReason.WITHDRAWN, 10),
    (ClosureReason.UNREACHABLE, 10),
    (ClosureReason.OUT_OF_SCOPE, 6),
)
CHANNEL_WEIGHTS = (
    (IntakeChannel.WALK_IN, 30),
    (IntakeChannel.PHONE, 30),
    (IntakeChannel.EMAIL, 10),
    (IntakeChannel.WEB_FORM, 15),
    (IntakeChannel.OUTREACH, 10),
    (IntakeChannel.REFERRAL, 5),
)
MODE_WEIGHTS = (
    (SessionMode.IN_PERSON_HQ, 45),
    (SessionMode.ONSITE_VISIT, 15),
    (SessionMode.ONLINE, 15),
    (SessionMode.PHONE, 20),
    (SessionMode.EMAIL, 5),
)


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Callable[[], Any]:
    values = [value for value, _ in pairs]
    weights = [weight for _, weight in pairs]
    cumulative = []
    total = 0
    for weight in weights:
        total += weight
        cumulative.append(total)

    def draw() -> Any:
        return rng.choices(values, cum_weights=cumulative)[0]

    return draw


@dataclass
class Plan:
    """What one run writes: the counts, the shape and the seed."""

    scale: float = 1.0
    shape: str = "decade"
    seed: int = 2026
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {
            name: max(round(full * self.scale), 3 if name == "experts" else 1)
            for name, full in FULL.items()
        }


@dataclass
class _CaseRow:
    id: int
    desk_id: int
    desk_code: str
    client_id: int
    opened_at: dt.datetime
    ends_at: dt.datetime  # the case's last moment: closed_at or now
    status: str
    lead_id: int | None
    co_id: int | None
    topic: str
    title: str
    confidentiality: str
    sessions: list[dt.datetime]


class LoadGenerator(NetworkRows):
    """Writes one plan; `progress(message)` is told how far it got."""

    def __init__(self, plan: Plan, *, progress: Callable[[str], None]) -> None:
        self.plan = plan
        self.progress = progress
        self.rng = random.Random(plan.seed)
        self.faker = Faker("ja_JP")
        self.faker.seed_instance(plan.seed)
        self.now = timezone.now()
        self.today = timezone.localdate()
        first_fy = fiscal_year_of(self.today) - (YEARS - 1)
        self.start = timezone.make_aware(dt.datetime(first_fy, 4, 1, 9, 0))
        self.written: dict[str, int] = defaultdict(int)
        self._load_organisation()

    # --- the organisation the rows hang on ------------------------------------------------

    def _load_organisation(self) -> None:
        self.desks = {desk.code: desk for desk in Desk.objects.filter(active=True)}
        self.counselors: dict[str, list[int]] = defaultdict(list)
        self.coordinators: dict[str, list[int]] = defaultdict(list)
        for user_id, code, role in DeskMembership.objects.filter(active=True).values_list(
            "user_id", "desk__code", "role"
        ):
            if role == DeskRole.COUNSELOR:
                self.counselors[code].append(user_id)
            elif role == DeskRole.COORDINATOR:
                self.coordinators[code].append(user_id)
        desks = [code for code, _ in DESK_WEIGHTS if code in self.desks and self.counselors[code]]
        if not desks:
            raise ValueError("no desk has counselors: seed the demo organisation first")
        self.desk_draw = _weighted(self.rng, tuple((c, w) for c, w in DESK_WEIGHTS if c in desks))
        topics = set(Topic.objects.values_list("code", flat=True))
        self.topic_draws = {
            code: _weighted(self.rng, tuple((t, w) for t, w in DESK_TOPICS[code] if t in topics))
            for code in desks
        }
        office = apps.get_model("satellites", "Office")
        self.hq_office = office.objects.filter(code="hq").values_list("pk", flat=True).first()

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        self._clients()
        cases = self._cases()
        self._sessions(cases)
        self._experts_and_dispatches(cases)
        self._referrals(cases)
        reset_sequences(
            Client,
            Case,
            ConsultationSession,
            Case.topics.through,
            Case.co_counselors.through,
            ConsultationSession.counselors.through,
            ConsultationSession.topics.through,
            CaseShare,
            apps.get_model("experts", "Expert"),
            apps.get_model("experts", "Dispatch"),
            apps.get_model("referrals", "Referral"),
        )
        return dict(self.written)

    def _write(self, label: str, model: type, rows: Iterator[dict[str, Any]]) -> None:
        started = timezone.now()
        count = BulkWriter(model).write(rows)
        self.written[label] += count
        seconds = (timezone.now() - started).total_seconds()
        self.progress(f"{label}: {count:,} rows in {seconds:.1f} s")

    # --- clients ----------------------------------------------------------------------------

    def _clients(self) -> None:
        rng = self.rng
        self.first_client = next_id(Client)
        count = self.plan.counts["clients"]
        legal_draw = _weighted(rng, tuple((form, w) for form, _, w in LEGAL_FORMS))

        def rows() -> Iterator[dict[str, Any]]:
            for n in range(count):
                last, last_kana, _ = self.faker.last_name_pair()
                trade, trade_kana, _, industry = rng.choice(TRADES)
                place = rng.choice(PLACES)
                town, postal_code = rng.choice(place.towns)
                company = rng.random() < 0.7
                if company:
                    name, kind = f"{legal_draw()}{last}{trade}", "company"
                    # Unique across runs: the client's id is part of its number.
                    base = f"0500{n % 3 + 1:02d}{self.first_client + n:06d}"
                    number = f"{corporate_number_check_digit(base)}{base}"
                else:
                    name, kind, number = f"{last}{trade}", "sole_proprietor", ""
                employees = rng.choice([1, 3, 8, 15, 25, 40, 90, 150])
                capital = rng.choice([1, 3, 10, 30, 50]) * 1_000_000 if company else None
                phone = f"{place.area_code}-{rng.randint(200, 899)}-{n % 10000:04d}"
                yield {
                    "id": self.first_client + n,
                    "kind": kind,
                    "name": name,
                    "name_kana": f"{last_kana}{trade_kana}",
                    "corporate_number": number,
                    "industry": industry,
                    "capital_yen": capital,
                    "employees": employees,
                    "size_class": size_class(size_sector(industry), capital, employees).value,
                    "postal_code": postal_code,
                    "prefecture": "茨城県",
                    "municipality": place.municipality,
                    "address": f"{town}{rng.randint(1, 5)}丁目{rng.randint(1, 30)}",
                    "phone": phone,
                    "name_search": search_key(name),
                    "name_kana_search": search_key(f"{last_kana}{trade_kana}"),
                    "phone_digits": phone_digits(phone),
                    "created_at": self.start,
                    "updated_at": self.start,
                }

        self._write("clients", Client, rows())

    # --- cases ------------------------------------------------------------------------------

    def _open_probability(self, age_days: float) -> float:
        if self.plan.shape == "stress":
            return 0.6
        # A hub closes most cases within months: what is open is mostly recent.
        if age_days < 150:
            return 0.9
        if age_days < 365:
            return 0.05
        return 0.003

    def _cases(self) -> list[_CaseRow]:
        rng = self.rng
        count = self.plan.counts["cases"]
        span = (self.now - dt.timedelta(days=1) - self.start).total_seconds()
        opened = sorted(
            self.start + dt.timedelta(seconds=rng.random() * span) for _ in range(count)
        )
        sequences = {
            (desk_id, fy): last
            for desk_id, fy, last in CaseSequence.objects.values_list(
                "desk_id", "fiscal_year", "last_value"
            )
        }
        status_draw = _weighted(rng, OPEN_STATUS_WEIGHTS)
        closure_draw = _weighted(rng, CLOSURE_WEIGHTS)
        channel_draw = _weighted(rng, CHANNEL_WEIGHTS)
        sessions_per_case = self.plan.counts["sessions"] / count
        first = next_id(Case)
        clients = self.plan.counts["clients"]
        plans: list[_CaseRow] = []
        case_rows: list[dict[str, Any]] = []
        topic_rows: list[tuple[int, str]] = []
        co_rows: list[tuple[int, int]] = []
        for n, at in enumerate(opened):
            code = self.desk_draw()
            desk = self.desks[code]
            fy = fiscal_year_of(at)
            sequence = sequences.get((desk.pk, fy), 0) + 1
            sequences[(desk.pk, fy)] = sequence
            age = (self.now - at).total_seconds() / 86400
            status = status_draw() if rng.random() < self._open_probability(age) else "closed"
            counselors = self.counselors[code]
            lead = None if status == "intake" else rng.choice(counselors)
            co = None
            if lead and len(counselors) > 1 and rng.random() < 0.12:
                co = rng.choice([c for c in counselors if c != lead])
            topic = self.topic_draws[code]()
            title = rng.choice(TITLES.get(topic, ("経営相談",)))
            # A fifth of the clients come back again and again (a third of the cases).
            regulars = max(clients // 5, 1)
            client = self.first_client + (
                rng.randrange(regulars) if rng.random() < 0.3 else rng.randrange(clients)
            )
            closed_at = None
            ends = self.now
            if status == "closed":
                closed_at = min(at + dt.timedelta(days=rng.uniform(3, 240)), self.now)
                ends = closed_at
            roll = rng.random()
            confidentiality = (
                Confidentiality.RESTRICTED
                if roll < 0.01
                else Confidentiality.CONFIDENTIAL
                if roll < 0.05
                else Confidentiality.NORMAL
            )
            sessions: list[dt.datetime] = []
            if status != "intake":
                k = max(1, int(rng.expovariate(1 / sessions_per_case) + 0.5))
                gap = (ends - at).total_seconds()
                sessions = sorted(at + dt.timedelta(seconds=rng.random() * gap) for _ in range(k))
            case_id = first + n
            reason = closure_draw() if status == "closed" else ""
            row = {
                "id": case_id,
                "number": case_number(code, fy, sequence),
                "desk_id": desk.pk,
                "fiscal_year": fy,
                "sequence": sequence,
                "client_id": client,
                "title": title,
                "intake_channel": channel_draw(),
                "intake_office_id": self.hq_office,
                "status": status,
                "priority": "high" if rng.random() < 0.1 else "normal",
                "confidentiality": confidentiality,
                "lead_counselor_id": lead if lead else None,
                "opened_at": at,
                "first_session_at": sessions[0] if sessions else None,
                "closed_at": closed_at,
                "closure_reason": reason,
                "closure_summary": rng.choice(CLOSURE_SUMMARIES[reason]) if reason else "",
                "created_by_id": lead or rng.choice(counselors),
                "updated_at": closed_at or at,
            }
            if status == "on_hold":
                row |= {
                    "status_before_hold": "active",
                    "hold_reason": rng.choice(HOLD_REASONS),
                    "resume_by": self.today + dt.timedelta(days=rng.randint(-10, 30)),
                }
            case_rows.append(row)
            topic_rows.append((case_id, topic))
            if co:
                co_rows.append((case_id, co))
            plans.append(
                _CaseRow(
                    case_id,
                    desk.pk,
                    code,
                    client,
                    at,
                    ends,
                    status,
                    lead,
                    co,
                    topic,
                    title,
                    confidentiality,
                    sessions,
                )
            )
        self._write("cases", Case, iter(case_rows))
        del case_rows
        self._write(
            "case topics",
            Case.topics.through,
            ({"case_id": c, "topic_id": t} for c, t in topic_rows),
        )
        self._write(
            "case co-counselors",
            Case.co_counselors.through,
            ({"case_id": c, "user_id": u} for c, u in co_rows),
        )
        for (desk_id, fy), last in sequences.items():
            CaseSequence.objects.update_or_create(
                desk_id=desk_id, fiscal_year=fy, defaults={"last_value": last}
            )
        return plans

    # --- sessions ---------------------------------------------------------------------------

    def _follow_ups(self, follow_ups: dict[dt.date, list[int]]) -> None:
        """Each case's latest session's follow-up date onto the case (`Case.next_follow_up`,
        as `services.cases_follow_up_refresh` keeps it): one UPDATE per date and 5,000
        cases."""
        started = timezone.now()
        written = 0
        for day, case_ids in sorted(follow_ups.items()):
            for at in range(0, len(case_ids), 5_000):
                chunk = case_ids[at : at + 5_000]
                written += Case.objects.filter(pk__in=chunk).update(next_follow_up=day)
        seconds = (timezone.now() - started).total_seconds()
        self.progress(f"follow-up dates: {written:,} cases in {seconds:.1f} s")

    def _sessions(self, cases: list[_CaseRow]) -> None:
        rng = self.rng
        first = next_id(ConsultationSession)
        mode_draw = _weighted(rng, MODE_WEIGHTS)
        counselor_rows: list[tuple[int, int]] = []
        topic_rows: list[tuple[int, str]] = []
        follow_ups: dict[dt.date, list[int]] = {}

        def rows() -> Iterator[dict[str, Any]]:
            session_id = first
            for case in cases:
                last = len(case.sessions) - 1
                for k, at in enumerate(case.sessions):
                    notes = NOTES.get(case.topic)
                    if notes:
                        summary, advice, client_next, ours = rng.choice(notes)
                    else:
                        summary = f"{case.title}について現状を聴き取り、課題を整理した。"
                        advice, client_next, ours = "次回までの宿題を確認した。", "", ""
                    mode = mode_draw()
                    duration = rng.choice([30, 45, 60, 60, 90, 120])
                    follow_up = None
                    if k == last and case.status != "closed" and rng.random() < 0.5:
                        follow_up = self.today + dt.timedelta(days=rng.randint(-20, 30))
                        # The case's latest session (they are in order): its follow-up date.
                        follow_ups.setdefault(follow_up, []).append(case.id)
                    yield {
                        "id": session_id,
                        "case_id": case.id,
                        "desk_id": case.desk_id,
                        "client_id": case.client_id,
                        "case_confidentiality": case.confidentiality,
                        "started_at": at,
                        "duration_minutes": duration,
                        "mode": mode,
                        "office_id": self.hq_office if mode == SessionMode.IN_PERSON_HQ else None,
                        "summary": summary,
                        "advice": advice,
                        "client_next_actions": client_next,
                        "our_next_actions": ours,
                        "follow_up_on": follow_up,
                        "created_by_id": case.lead_id,
                        "created_at": at + dt.timedelta(minutes=duration + 5),
                    }
                    counselor_rows.append((session_id, case.lead_id))
                    if case.co_id and rng.random() < 0.3:
                        counselor_rows.append((session_id, case.co_id))
                    topic_rows.append((session_id, case.topic))
                    session_id += 1

        self._write("sessions", ConsultationSession, rows())
        self._follow_ups(follow_ups)
        self._write(
            "session counselors",
            ConsultationSession.counselors.through,
            ({"consultationsession_id": s, "user_id": u} for s, u in counselor_rows),
        )
        self._write(
            "session topics",
            ConsultationSession.topics.through,
            ({"consultationsession_id": s, "topic_id": t} for s, t in topic_rows),
        )

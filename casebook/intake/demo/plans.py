"""Plans of the demo cases: who, what, and the dated steps of each case's life.

A plan's identity (desk, client, title, topics) is drawn first from a generator seeded by the
plan's index alone, so it is the same on every run; only the dates move with today. The
steps are drawn in timeline.py and replayed in date order through the services (runner.py).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from casebook.common.calendar import is_business_day
from casebook.intake.demo.clients import ClientSpec
from casebook.intake.demo.vocabulary import DESK_TOPICS, DESK_WEIGHTS, TITLES
from casebook.intake.models import ClientKind, ClosureReason, IntakeChannel

TOKYO = ZoneInfo("Asia/Tokyo")
CLOSED = "closed"

# How many cases of each kind the demo holds: (status, closure reason, extra flag) -> (count in
# the full demo, in the quick one). `dispatch` is seeded by the experts app, which dispatches
# experts to active cases.
MIX: dict[tuple[str, str, str], tuple[int, int]] = {
    ("intake", "", ""): (35, 3),
    ("assigned", "", ""): (45, 3),
    ("active", "", ""): (264, 12),
    ("active", "", "reopened"): (6, 1),
    ("active", "", "exit_track"): (5, 1),
    ("on_hold", "", ""): (58, 3),
    ("on_hold", "", "exit_track"): (2, 1),
    (CLOSED, ClosureReason.RESOLVED, ""): (382, 8),
    (CLOSED, ClosureReason.RESOLVED, "exit_track"): (1, 0),
    (CLOSED, ClosureReason.REFERRED_OUT, ""): (80, 2),
    (CLOSED, ClosureReason.WITHDRAWN, ""): (50, 2),
    (CLOSED, ClosureReason.UNREACHABLE, ""): (35, 2),
    (CLOSED, ClosureReason.DUPLICATE, ""): (12, 2),
    (CLOSED, ClosureReason.OUT_OF_SCOPE, ""): (25, 2),
}
FULL_CLIENTS, QUICK_CLIENTS = 300, 30

# Sessions per case by final status / closure reason: (fewest, most).
SESSION_RANGE: dict[str, tuple[int, int]] = {
    "active": (1, 6),
    "on_hold": (1, 5),
    ClosureReason.RESOLVED: (2, 6),
    ClosureReason.REFERRED_OUT: (1, 5),
    ClosureReason.WITHDRAWN: (0, 3),
    ClosureReason.UNREACHABLE: (0, 2),
}
EXIT_TOPICS = ("succession", "closure", "management_improvement")
DURATIONS = (30, 45, 60, 60, 60, 90, 90, 120)
# Shapes of the opening dates, so that sessions spread evenly over the twelve months.
CLOSED_SKEW, OPEN_SKEW = 1.8, 1.0


@dataclass
class Step:
    at: dt.datetime
    kind: str  # open, assign, session, hold, resume, close, reopen, exit_track, co_counsel
    actor: str  # username of who does it
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CasePlan:
    index: int
    status: str
    reason: str
    flag: str
    desk: str
    client: int | None  # index into the client specs; None for an anonymous intake
    title: str
    topics: list[str]
    channel: str
    office: str | None
    priority: str
    confidentiality: str | None
    steps: list[Step] = field(default_factory=list)


@dataclass
class Staff:
    """Usernames by desk and role, sorted, and the rota of each satellite."""

    counselors: dict[str, list[str]]
    coordinators: dict[str, list[str]]
    exit_team: list[str]
    satellite_rota: dict[str, list[str]]


@dataclass
class Calendar:
    days: list[dt.date]  # business days of the last twelve months, up to yesterday

    @classmethod
    def up_to(cls, today: dt.date) -> Calendar:
        first = today - dt.timedelta(days=360)
        days = [
            first + dt.timedelta(days=n)
            for n in range((today - first).days)
            if is_business_day(first + dt.timedelta(days=n))
        ]
        return cls(days=days)

    @property
    def last(self) -> int:
        return len(self.days) - 1


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _channel(rng: random.Random, desk: str) -> str:
    if desk == "yorozu":
        pairs = (
            (IntakeChannel.WALK_IN, 25),
            (IntakeChannel.PHONE, 20),
            (IntakeChannel.SATELLITE, 18),
            (IntakeChannel.WEB_FORM, 12),
            (IntakeChannel.EMAIL, 5),
            (IntakeChannel.OUTREACH, 8),
            (IntakeChannel.REFERRAL, 12),
        )
    else:
        pairs = (
            (IntakeChannel.WALK_IN, 30),
            (IntakeChannel.PHONE, 35),
            (IntakeChannel.WEB_FORM, 10),
            (IntakeChannel.EMAIL, 10),
            (IntakeChannel.REFERRAL, 15),
        )
    return weighted(rng, pairs)


def status_mix(quick: bool) -> list[tuple[str, str, str]]:
    """The kinds of all plans in a fixed shuffled order."""
    kinds = [kind for kind, counts in MIX.items() for _ in range(counts[1] if quick else counts[0])]
    random.Random("casebook-demo-mix").shuffle(kinds)
    return kinds


def plan_identities(
    kinds: list[tuple[str, str, str]], clients: list[ClientSpec], satellites: list[str]
) -> list[CasePlan]:
    """Desk, client, title and topics of every plan: independent of the date."""
    plans: list[CasePlan] = []
    picker = random.Random("casebook-demo-clients-of-cases")
    # Every client has at least one case; the rest go to returning clients.
    client_order = list(range(len(clients)))
    picker.shuffle(client_order)
    titles_used: set[tuple[int | None, str]] = set()
    for index, (status, reason, flag) in enumerate(kinds):
        rng = random.Random(f"casebook-demo-case-{index}")
        if index < len(client_order):
            client: int | None = client_order[index]
        else:
            client = picker.randrange(len(clients))
        spec = clients[client]
        if flag == "exit_track":
            desk = "yorozu"
            while spec.kind != ClientKind.COMPANY:
                client = picker.randrange(len(clients))
                spec = clients[client]
        elif spec.kind == ClientKind.FOUNDER:
            desk = "yorozu"
        else:
            desk = weighted(rng, DESK_WEIGHTS)
        if flag == "exit_track":
            topics = [rng.choice(EXIT_TOPICS[:2]), "management_improvement", "finance"]
        elif spec.kind == ClientKind.FOUNDER:
            topics = ["startup", *rng.sample(["finance", "grants", "marketing"], k=1)]
        else:
            first = weighted(rng, DESK_TOPICS[desk])
            others = [code for code, _ in DESK_TOPICS[desk] if code != first]
            extra = min(rng.choice([0, 0, 1, 1, 2]), len(others))
            topics = [first, *rng.sample(others, k=extra)]
        topics = list(dict.fromkeys(topics))
        if desk == "subcontract" and index >= len(client_order) and rng.random() < 0.3:
            client = None  # an anonymous intake: allowed only at this desk
        title = rng.choice(TITLES[topics[0]])
        if client is None:
            title = f"匿名相談：{title}"
        title = _unique_title(titles_used, client, title)
        channel = _channel(rng, desk)
        office = rng.choice(satellites) if channel == IntakeChannel.SATELLITE else None
        priority = weighted(rng, (("normal", 80), ("high", 12), ("low", 8)))
        if desk == "subcontract" and rng.random() < 0.5:
            priority = "high"
        confidentiality = None  # the desk's default (the IP desk's is confidential)
        if desk == "ip" and topics == ["ip_trademark"] and rng.random() < 0.5:
            confidentiality = "normal"  # a trademark already in use has no novelty to protect
        plans.append(
            CasePlan(
                index=index,
                status=status,
                reason=reason,
                flag=flag,
                desk=desk,
                client=client,
                title=title,
                topics=topics,
                channel=channel,
                office=office,
                priority=priority,
                confidentiality=confidentiality,
            )
        )
    _pair_duplicates(plans, titles_used)
    return plans


def _unique_title(used: set[tuple[int | None, str]], client: int | None, title: str) -> str:
    candidate, n = title, 1
    while (client, candidate) in used:
        n += 1
        candidate = f"{title}（{n}件目）"
    used.add((client, candidate))
    return candidate


def _pair_duplicates(plans: list[CasePlan], titles_used: set[tuple[int | None, str]]) -> None:
    """A duplicate is the same client's intake taken twice: it copies an open case's identity."""
    survivors = [p for p in plans if p.status == "active" and not p.flag and p.client is not None]
    for n, plan in enumerate(p for p in plans if p.reason == ClosureReason.DUPLICATE):
        survivor = survivors[(n * 7) % len(survivors)]
        plan.flag = f"duplicate_of:{survivor.index}"
        plan.desk, plan.client, plan.topics = survivor.desk, survivor.client, survivor.topics
        plan.confidentiality = survivor.confidentiality
        plan.channel = IntakeChannel.PHONE
        plan.office = None
        plan.title = _unique_title(titles_used, plan.client, survivor.title)

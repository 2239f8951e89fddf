"""The dated steps of each demo case's life, drawn per plan from its own seeded generator."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from casebook.intake.demo.plans import (
    CLOSED,
    CLOSED_SKEW,
    DURATIONS,
    OPEN_SKEW,
    SESSION_RANGE,
    Calendar,
    CasePlan,
    Staff,
    Step,
    at,
    weighted,
)
from casebook.intake.demo.vocabulary import CLOSURE_SUMMARIES, HOLD_REASONS, NOTES
from casebook.intake.models import ClosureReason, IntakeChannel, SessionMode


class Timeline:
    """Draws the dated steps of one plan."""

    def __init__(self, plan: CasePlan, staff: Staff, calendar: Calendar) -> None:
        self.plan = plan
        self.staff = staff
        self.cal = calendar
        self.rng = random.Random(f"casebook-demo-timeline-{plan.index}")

    # Who does what -----------------------------------------------------------------------
    def coordinator(self) -> str:
        return self.rng.choice(self.staff.coordinators[self.plan.desk])

    def counselor(self) -> str:
        if self.plan.office:
            return self.rng.choice(self.staff.satellite_rota[self.plan.office])
        return self.rng.choice(self.staff.counselors[self.plan.desk])

    # Steps -------------------------------------------------------------------------------
    def add(self, when: dt.datetime, kind: str, actor: str, **data: Any) -> None:
        self.plan.steps.append(Step(when, kind, actor, data))

    def morning(self, day: int) -> dt.datetime:
        return at(self.cal.days[day], self.rng.randint(9, 11), self.rng.randrange(0, 60, 5))

    def afternoon(self, day: int) -> dt.datetime:
        return at(self.cal.days[day], self.rng.randint(13, 16), self.rng.randrange(0, 60, 5))

    def evening(self, day: int) -> dt.datetime:
        return at(self.cal.days[day], 17, self.rng.randrange(0, 50, 5))

    def open_and_assign(self, open_day: int, *, assign: bool) -> tuple[int, str | None]:
        """Open the case; assign a lead when `assign`. Returns the assignment day and lead."""
        plan = self.plan
        counter = plan.channel in (IntakeChannel.WALK_IN, IntakeChannel.SATELLITE)
        if counter and assign and self.rng.random() < 0.6:
            lead = self.counselor()
            self.add(
                self.morning(open_day), "open", lead, lead=lead
            )  # self-assigned at the counter
            return open_day, lead
        taker = self.counselor() if counter else self.coordinator()
        self.add(self.morning(open_day), "open", taker)
        if not assign:
            return open_day, None
        assign_day = min(open_day + self.rng.randint(0, 3), self.cal.last)
        lead = self.counselor()
        self.add(self.afternoon(assign_day), "assign", self.coordinator(), counselor=lead)
        return assign_day, lead

    def session(self, day: int, lead: str, co: str | None = None) -> None:
        plan = self.plan
        # Sessions end by 16:30, before the evening's holds and closures.
        start = at(self.cal.days[day], self.rng.randint(9, 14), self.rng.choice((0, 30)))
        duration = self.rng.choice(DURATIONS)
        mode, office = self.mode()
        topic = self.rng.choice(plan.topics)
        summary, advice, client_next, our_next = self.rng.choice(NOTES[topic])
        follow_up = None
        if self.rng.random() < 0.4:
            follow_up = self.cal.days[day] + dt.timedelta(days=self.rng.choice((7, 14, 21, 30)))
        counselors = [lead] + ([co] if co and self.rng.random() < 0.5 else [])
        self.add(
            start,
            "session",
            lead,
            duration=duration,
            mode=mode,
            office=office,
            counselors=counselors,
            topics=[topic],
            summary=summary,
            advice=advice,
            client_next_actions=client_next,
            our_next_actions=our_next,
            follow_up_on=follow_up,
            client_attendees="相談者本人" if plan.client is None else "代表者",
        )

    def mode(self) -> tuple[str, str | None]:
        plan = self.plan
        if plan.office and self.rng.random() < 0.8:
            return SessionMode.IN_PERSON_SATELLITE, plan.office
        pairs = (
            (SessionMode.IN_PERSON_HQ, 40),
            (SessionMode.ONSITE_VISIT, 15),
            (SessionMode.ONLINE, 18),
            (SessionMode.PHONE, 20),
            (SessionMode.EMAIL, 7),
        )
        mode = weighted(self.rng, pairs)
        return mode, (None if mode == SessionMode.ONSITE_VISIT else "hq")

    def spread(self, first: int, last: int, count: int) -> list[int]:
        """`count` distinct business days in [first, last], sorted (fewer if the span is short)."""
        if last < first:
            return []
        span = range(first, last + 1)
        return sorted(self.rng.sample(span, k=min(count, len(span))))

    def close(self, day: int, actor: str, reason: str, **data: Any) -> None:
        summary = self.rng.choice(CLOSURE_SUMMARIES[reason])
        self.add(self.evening(day), "close", actor, reason=reason, summary=summary, **data)

    # The shapes of a case's life ---------------------------------------------------------
    def draw(self, survivor_open: dt.datetime | None = None) -> CasePlan:
        plan, last, rng = self.plan, self.cal.last, self.rng
        if plan.status == "intake":
            self.open_and_assign(last - rng.randint(0, 8), assign=False)
        elif plan.status == "assigned":
            self.open_and_assign(last - rng.randint(1, 12), assign=True)
        elif plan.reason == ClosureReason.DUPLICATE:
            self._duplicate(survivor_open)
        elif plan.reason == ClosureReason.OUT_OF_SCOPE:
            open_day = rng.randint(0, last - 5)
            self.open_and_assign(open_day, assign=False)
            self.close(open_day + rng.randint(1, 4), self.coordinator(), plan.reason)
        elif plan.flag == "exit_track":
            self._exit_track()
        elif plan.flag == "reopened":
            self._reopened()
        else:
            self._worked()
        return plan

    def _worked(self) -> None:
        plan, rng, last = self.plan, self.rng, self.cal.last
        key = plan.status if plan.status != CLOSED else plan.reason
        fewest, most = SESSION_RANGE[key]
        sessions = rng.randint(fewest, most)
        if plan.status == CLOSED:
            # Older cases are more often closed: openings lean towards the start of the year.
            open_day = int((last - 10) * rng.random() ** CLOSED_SKEW)
            end = min(open_day + rng.randint(10, 120), last)
        else:
            # Open cases are mostly recent; a few have run for months.
            age = 6 + int((last - 12) * rng.random() ** OPEN_SKEW)
            open_day, end = last - age, last
            sessions = min(sessions, 1 + age // 15)  # a young case has had few sessions
        assign_day, lead = self.open_and_assign(open_day, assign=True)
        assert lead is not None
        co = None
        if plan.desk == "yorozu" and rng.random() < 0.08:
            co = rng.choice([u for u in self.staff.counselors["yorozu"] if u != lead])
            self.add(self.evening(assign_day), "co_counsel", self.coordinator(), co=co)
        needs_after = 1 if plan.status in (CLOSED, "on_hold") else 0
        days = self.spread(assign_day + 1, end, sessions + needs_after)
        final = days.pop() if plan.status in (CLOSED, "on_hold") and days else None
        held_midway = plan.status == "active" and len(days) >= 3 and rng.random() < 0.15
        for position, day in enumerate(days):
            self.session(day, lead, co)
            if held_midway and position == 0:
                resume_day = days[1]
                self.add(
                    self.evening(day),
                    "hold",
                    lead,
                    reason=rng.choice(HOLD_REASONS),
                    resume_by=self.cal.days[resume_day] + dt.timedelta(days=7),
                )
                self.add(at(self.cal.days[resume_day], 8, 50), "resume", lead)
        if final is None:
            if plan.status == CLOSED:  # no room for the closure after the assignment
                self.close(max(assign_day, open_day), self.coordinator(), plan.reason)
            return
        if plan.status == "on_hold":
            hold_on = self.cal.days[final]
            self.add(
                self.evening(final),
                "hold",
                lead,
                reason=rng.choice(HOLD_REASONS),
                resume_by=hold_on + dt.timedelta(days=rng.choice((14, 21, 30, 45, 60))),
            )
        else:
            closer = lead if plan.reason != ClosureReason.UNREACHABLE else self.coordinator()
            self.close(final, closer, plan.reason)

    def _duplicate(self, survivor_open: dt.datetime | None) -> None:
        assert survivor_open is not None
        first = self.cal.days.index(survivor_open.date()) + 1
        open_day = min(first + self.rng.randint(0, 4), self.cal.last - 1)
        self.open_and_assign(open_day, assign=False)
        close_day = min(open_day + self.rng.randint(1, 3), self.cal.last)
        survivor = int(self.plan.flag.split(":")[1])
        self.close(close_day, self.coordinator(), ClosureReason.DUPLICATE, survivor=survivor)

    def _exit_track(self) -> None:
        """A yorozu case handed to the closure special team and made restricted."""
        plan, rng, last = self.plan, self.rng, self.cal.last
        open_day = rng.randint(0, last - 60)
        assign_day, lead = self.open_and_assign(open_day, assign=True)
        assert lead is not None
        before = self.spread(assign_day + 1, assign_day + 15, rng.randint(1, 2))
        for day in before:
            self.session(day, lead)
        track_day = (before[-1] if before else assign_day) + 1
        evening = self.evening(track_day)
        self.add(evening, "exit_track", rng.choice(self.staff.coordinators["yorozu"]))
        team_lead, member = self.staff.exit_team[0], rng.choice(self.staff.exit_team)
        self.add(evening + dt.timedelta(minutes=5), "assign", team_lead, counselor=member)
        self.add(evening + dt.timedelta(minutes=8), "co_counsel", team_lead, co=lead)
        end = min(track_day + rng.randint(40, 150), last) if plan.status == CLOSED else last
        days = self.spread(track_day + 1, end, rng.randint(3, 6) + (plan.status != "active"))
        final = days.pop() if plan.status != "active" else None
        for day in days:
            self.session(day, member, lead)
        if final is None:
            return
        if plan.status == "on_hold":
            self.add(
                self.evening(final),
                "hold",
                member,
                reason="金融機関との協議結果待ち",
                resume_by=self.cal.days[final] + dt.timedelta(days=30),
            )
        else:
            self.close(final, member, plan.reason)

    def _reopened(self) -> None:
        """Closed as resolved, then reopened by a coordinator when the client came back."""
        rng, last = self.rng, self.cal.last
        open_day = rng.randint(0, last - 120)
        assign_day, lead = self.open_and_assign(open_day, assign=True)
        assert lead is not None
        days = self.spread(assign_day + 1, assign_day + 40, rng.randint(2, 4) + 1)
        close_day = days.pop()
        for day in days:
            self.session(day, lead)
        self.close(close_day, lead, ClosureReason.RESOLVED)
        reopen_day = close_day + rng.randint(20, 60)
        self.add(
            self.morning(reopen_day), "reopen", self.coordinator(), reason="相談者から再度の相談"
        )
        for day in self.spread(reopen_day + 1, last, rng.randint(1, 3)):
            self.session(day, lead)


def draw_timelines(plans: list[CasePlan], staff: Staff, calendar: Calendar) -> None:
    opened: dict[int, dt.datetime] = {}
    for plan in plans:
        if plan.reason != ClosureReason.DUPLICATE:
            Timeline(plan, staff, calendar).draw()
            opened[plan.index] = plan.steps[0].at
    for plan in plans:
        if plan.reason == ClosureReason.DUPLICATE:
            survivor = int(plan.flag.split(":")[1])
            Timeline(plan, staff, calendar).draw(survivor_open=opened[survivor])

"""Demo offices: the head office in Mito and the ten satellite offices of the plan (docs/rules.md),
with their schedule rules (as their schedule notes say, staffed by yorozu counselors in turn)
and their consultation days and slots from a year back to three months ahead. The offices
themselves are listed in `offices.toml`.

Offices and rules are found before they are created, and generating days is idempotent, so a
second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casebook.accounts.models import DeskMembership, DeskRole
from casebook.common.demo import DemoContext, demo_table
from casebook.common.models import save_tracked
from casebook.satellites.models import Office, OfficeKind, ScheduleRule
from casebook.satellites.services import schedule_generate


@dataclass(frozen=True)
class OfficeSpec:
    code: str
    name: str
    name_kana: str
    postal_code: str
    municipality: str
    address: str
    schedule_note: str
    active_from: dt.date
    # The rule behind the note: weekday (0 = Monday), weeks of the month, hours.
    weekday: int = 0
    weeks: str = ""
    hours: tuple[dt.time, dt.time] = (dt.time(10), dt.time(16))


_OFFICES = demo_table(__file__, "offices.toml")
HEAD_OFFICE = OfficeSpec(**_OFFICES["head"])
# The ten satellites opened in FY2021 (plan item オ), hosted by local chambers and centres.
SATELLITES: tuple[OfficeSpec, ...] = tuple(OfficeSpec(**spec) for spec in _OFFICES["satellites"])


def seed(ctx: DemoContext) -> None:
    admin = ctx.users.get("admin")
    existing = {office.code: office for office in Office.objects.all()}
    created = 0
    specs = [(HEAD_OFFICE, OfficeKind.HEAD)] + [(s, OfficeKind.SATELLITE) for s in SATELLITES]
    for spec, kind in specs:
        office = existing.get(spec.code)
        if office is None:
            office = Office(
                code=spec.code,
                name=spec.name,
                name_kana=spec.name_kana,
                kind=kind,
                postal_code=spec.postal_code,
                municipality=spec.municipality,
                address=spec.address,
                active_from=spec.active_from,
                schedule_note=spec.schedule_note,
            )
            save_tracked(office, by=admin, reason="demo data")
            created += 1
        ctx.offices[office.code] = office
    ctx.log(f"offices: {created} created, {len(ctx.offices)} in the demo")
    seed_schedules(ctx)


# How far the demo's consultation days reach: a year back, three months ahead.
DAYS_BACK = dt.timedelta(days=365)
DAYS_AHEAD = dt.timedelta(days=90)


def seed_schedules(ctx: DemoContext) -> None:
    admin = ctx.users.get("admin")
    counselors = [
        m.user
        for m in DeskMembership.objects.filter(
            desk__code="yorozu", role=DeskRole.COUNSELOR, active=True
        )
        .select_related("user")
        .order_by("user__username")
    ]
    ruled = set(ScheduleRule.objects.values_list("office__code", flat=True))
    created = 0
    for n, spec in enumerate(SATELLITES):
        office = ctx.offices[spec.code]
        if spec.code in ruled:
            continue
        rule = ScheduleRule(
            office=office,
            weekdays=str(spec.weekday),
            weeks=spec.weeks,
            starts_at=spec.hours[0],
            ends_at=spec.hours[1],
            counselor=counselors[n % len(counselors)] if counselors else None,
            valid_from=spec.active_from,
            note=spec.schedule_note,
        )
        save_tracked(rule, by=admin, reason="demo data")
        created += 1
    span = (ctx.today - (DAYS_BACK / 4 if ctx.quick else DAYS_BACK), ctx.today + DAYS_AHEAD)
    result = schedule_generate(
        by=admin,
        date_from=span[0],
        date_to=span[1],
        offices=[ctx.offices[spec.code] for spec in SATELLITES],
    )
    ctx.log(
        f"satellite schedules: {created} rules created; {result.days_created} days and "
        f"{result.slots_created} slots created ({result.days_kept} already there)"
    )

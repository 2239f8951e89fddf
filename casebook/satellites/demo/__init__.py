"""Demo offices: the head office in Mito and the ten satellite offices of the plan (docs/rules.md),
with their schedule rules (as their schedule notes say, staffed by yorozu counselors in turn)
and their consultation days and slots from a year back to three months ahead.

Offices and rules are found before they are created, and generating days is idempotent, so a
second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casebook.accounts.models import DeskMembership, DeskRole
from casebook.common.demo import DemoContext
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


HEAD_OFFICE = OfficeSpec(
    "hq",
    "本部（茨城県産業会館）",
    "ホンブ（イバラキケンサンギョウカイカン）",
    "310-0801",
    "水戸市",
    "桜川2丁目2-35 茨城県産業会館",
    "平日 9:00–17:00",
    dt.date(2021, 4, 1),
)

# The ten satellites opened in FY2021 (plan item オ), hosted by local chambers and centres.
SATELLITES: tuple[OfficeSpec, ...] = (
    OfficeSpec(
        "hitachi",
        "日立サテライト",
        "ヒタチサテライト",
        "317-0073",
        "日立市",
        "幸町1丁目21-2 日立商工会議所 会議室",
        "毎月第2・第4火曜日 10:00–16:00",
        dt.date(2021, 6, 1),
        weekday=1,
        weeks="2,4",
    ),
    OfficeSpec(
        "tsuchiura",
        "土浦サテライト",
        "ツチウラサテライト",
        "300-0043",
        "土浦市",
        "中央2丁目2-16 土浦商工会議所 相談室",
        "毎月第1・第3水曜日 10:00–16:00",
        dt.date(2021, 6, 1),
        weekday=2,
        weeks="1,3",
    ),
    OfficeSpec(
        "koga",
        "古河サテライト",
        "コガサテライト",
        "306-0023",
        "古河市",
        "本町1丁目4-12 古河商工会議所 会議室",
        "毎月第2木曜日 10:00–16:00",
        dt.date(2021, 7, 1),
        weekday=3,
        weeks="2",
    ),
    OfficeSpec(
        "chikusei",
        "筑西サテライト",
        "チクセイサテライト",
        "308-0031",
        "筑西市",
        "丙360 しもだて地域交流センター 相談室",
        "毎月第1・第3金曜日 10:00–16:00",
        dt.date(2021, 7, 1),
        weekday=4,
        weeks="1,3",
    ),
    OfficeSpec(
        "kashima",
        "鹿嶋サテライト",
        "カシマサテライト",
        "314-0031",
        "鹿嶋市",
        "宮中1丁目5-1 鹿嶋商工会 会議室",
        "毎月第4水曜日 10:00–16:00",
        dt.date(2021, 7, 1),
        weekday=2,
        weeks="4",
    ),
    OfficeSpec(
        "tsukuba",
        "つくばサテライト",
        "ツクバサテライト",
        "305-0047",
        "つくば市",
        "千現2丁目1-6 つくば研究支援センター 相談室",
        "毎週木曜日 10:00–16:00",
        dt.date(2021, 6, 1),
        weekday=3,
        weeks="",
    ),
    OfficeSpec(
        "hitachiota",
        "常陸太田サテライト",
        "ヒタチオオタサテライト",
        "313-0013",
        "常陸太田市",
        "山下町1189 常陸太田市商工会 会議室",
        "毎月第3火曜日 10:00–16:00",
        dt.date(2021, 8, 2),
        weekday=1,
        weeks="3",
    ),
    OfficeSpec(
        "namegata",
        "行方サテライト",
        "ナメガタサテライト",
        "311-3832",
        "行方市",
        "麻生1561-9 行方市商工会 会議室",
        "毎月第2月曜日 10:00–16:00",
        dt.date(2021, 8, 2),
        weekday=0,
        weeks="2",
    ),
    OfficeSpec(
        "joso",
        "常総サテライト",
        "ジョウソウサテライト",
        "303-0005",
        "常総市",
        "水海道森下町4434-2 常総市商工会 相談室",
        "毎月第1・第3火曜日 10:00–16:00",
        dt.date(2021, 8, 2),
        weekday=1,
        weeks="1,3",
    ),
    OfficeSpec(
        "daigo",
        "大子サテライト",
        "ダイゴサテライト",
        "319-3526",
        "大子町",
        "大子722-1 大子町商工会 会議室",
        "毎月第4金曜日 10:00–15:00",
        dt.date(2021, 9, 1),
        weekday=4,
        weeks="4",
        hours=(dt.time(10), dt.time(15)),
    ),
)


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

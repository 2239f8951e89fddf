"""Demo offices: the head office in Mito and the ten satellite offices of the plan (docs/rules.md).

Offices are found by code before they are created, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casebook.common.demo import DemoContext
from casebook.common.models import save_tracked
from casebook.satellites.models import Office, OfficeKind


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

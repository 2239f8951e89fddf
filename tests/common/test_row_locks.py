"""Every row lock in the code is FOR NO KEY UPDATE unless it is listed here with its reason
(docs/performance.md, "Row locks: FOR NO KEY UPDATE"): a FOR UPDATE holds back every
transaction that writes a row pointing at the locked one."""

from __future__ import annotations

import re
from pathlib import Path

import casebook

SOURCE = Path(casebook.__file__).parent

# The calls that stay FOR UPDATE: (file, how many), and why.
STRONG_LOCKS = {
    ("common/models.py", 1): "lock_current(deleting=True): its caller deletes the row",
    ("experts/services/visits.py", 1): "visit_unschedule deletes the visit it locks",
    ("notifications/services/mail.py", 2): "queue reads (skip_locked): another runner's row "
    "is skipped, never waited for",
}

# Its arguments, one level of parentheses within them (`of=("self",)`).
CALL = re.compile(r"select_for_update\(((?:[^()]|\([^()]*\))*)\)")


def strong_locks() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for arguments in CALL.findall(path.read_text(encoding="utf-8")):
            if "no_key=True" not in arguments:
                name = path.relative_to(SOURCE).as_posix()
                found[name] = found.get(name, 0) + 1
    return found


def test_every_row_lock_is_for_no_key_update_unless_listed_with_its_reason():
    assert strong_locks() == {name: count for name, count in STRONG_LOCKS}


def test_the_scan_finds_a_plain_select_for_update():
    assert CALL.findall("Office.objects.select_for_update().get(pk=1)") == [""]
    assert CALL.findall('Slot.objects.select_for_update(of=("self",)).get(pk=1)') == [
        'of=("self",)'
    ]
    assert CALL.findall('Slot.objects.select_for_update(no_key=True, of=("self",))') == [
        'no_key=True, of=("self",)'
    ]

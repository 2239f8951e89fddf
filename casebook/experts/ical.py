"""An iCalendar (RFC 5545) feed of an expert's visits, written by hand: CRLF line ends,
lines folded at 75 octets, TEXT values escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from casebook.experts import policy
from casebook.experts.models import FULL_DAY, DispatchVisit, Expert

CRLF = "\r\n"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, never inside a character."""
    chunks: list[str] = []
    current, size = "", 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size = " ", 1  # a continuation line starts with one space
        current += char
        size += width
    chunks.append(current)
    return CRLF.join(chunks)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(visit: DispatchVisit, stamp: str, host: str) -> list[str]:
    dispatch = visit.dispatch
    case = dispatch.case.number if policy.feed_names_case(dispatch) else f"#{dispatch.pk}"
    client = dispatch.case.client.name if dispatch.case.client else case
    part = "" if visit.day_fraction == FULL_DAY else "（半日）"
    description = f"{dispatch.program.name}\n{dispatch.purpose}\n{case}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:dispatch-visit-{visit.pk}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{visit.date:%Y%m%d}",
        f"DTEND;VALUE=DATE:{visit.date + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(f'専門家派遣: {client}{part}')}",
        f"DESCRIPTION:{escape_text(description)}",
        "TRANSP:OPAQUE",
        "STATUS:CANCELLED" if dispatch.status == "cancelled" else "STATUS:CONFIRMED",
    ]
    if visit.place:
        lines.insert(6, f"LOCATION:{escape_text(visit.place)}")
    lines.append("END:VEVENT")
    return lines


def calendar_for(expert: Expert, visits: Iterable[DispatchVisit], *, host: str) -> str:
    stamp = _stamp(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//casebook//expert dispatch//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(f'{expert.name} 派遣予定')}",
        "X-WR-TIMEZONE:Asia/Tokyo",
    ]
    for visit in visits:
        lines.extend(_event(visit, stamp, host))
    lines.append("END:VCALENDAR")
    return CRLF.join(fold(line) for line in lines) + CRLF

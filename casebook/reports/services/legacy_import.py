"""Importing past consultation records from the legacy spreadsheet (docs/legacy-import.md).

Every row is checked before anything is written; one bad cell refuses the whole file with an
error naming its row and column. A valid file is written in one transaction: all of it or
nothing. Clients are matched by 法人番号, else by normalised name + phone, else registered.
The rows of one client at one desk in one fiscal year become one case, closed on its last
session (the legacy sheet keeps no case lifecycle); each row becomes one session.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, DeskMembership, OrgRole, User
from casebook.common.errors import ActionNotPermitted
from casebook.common.fiscal import fiscal_year_of
from casebook.common.japanese import (
    corporate_number_problem,
    normalize_text,
    phone_digits,
    search_key,
)
from casebook.common.models import save_tracked
from casebook.intake.models import (
    CaseStatus,
    Client,
    ClosureReason,
    ConsultationSession,
    IntakeChannel,
    SessionMode,
    Topic,
)
from casebook.intake.services.cases import numbered_case
from casebook.satellites.models import Office, OfficeKind

COLUMNS = (
    "client",
    "client_kana",
    "corporate_number",
    "phone",
    "desk",
    "date",
    "time",
    "duration_minutes",
    "counselor",
    "mode",
    "office",
    "topics",
    "summary",
)
REQUIRED = ("client", "desk", "date", "counselor", "mode", "summary")
DEFAULT_TIME = dt.time(10, 0)
DEFAULT_MINUTES = 60
CLOSURE_SUMMARY = "過去の相談記録から取り込み"


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


@dataclass
class LegacyImportRefused(Exception):
    errors: list[RowError]


@dataclass(frozen=True)
class LegacyRow:
    row: int
    client_name: str
    client_kana: str
    corporate_number: str
    phone: str
    desk: Desk
    started_at: dt.datetime
    duration_minutes: int
    counselor: User
    mode: str
    office: Office | None
    topics: tuple[Topic, ...]
    summary: str


@dataclass
class ImportSummary:
    rows: int = 0
    clients_matched: int = 0
    clients_created: int = 0
    cases_created: int = 0
    sessions_created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)


def _mode(value: str) -> str | None:
    """A mode by its code or by its Japanese label, whatever language the command runs in."""
    with translation.override("ja"):
        labels = {str(label): code for code, label in SessionMode.choices}
    if value in SessionMode.values:
        return value
    return labels.get(value)


def _date(value: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def parse(stream: TextIO) -> tuple[list[LegacyRow], list[RowError]]:
    """Every row checked (5 queries for the reference data, whatever the number of rows)."""
    reader = csv.DictReader(stream)
    header = [normalize_text(name) for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [RowError(1, name, _("the column is missing")) for name in missing]
    reader.fieldnames = header
    desks = {desk.code: desk for desk in Desk.objects.filter(active=True)}
    topics = {topic.code: topic for topic in Topic.objects.all()}
    topics.update({topic.name: topic for topic in topics.copy().values()})
    offices = {office.code: office for office in Office.objects.all()}
    staff = {user.username: user for user in User.objects.filter(is_active=True)}
    members = set(
        DeskMembership.objects.filter(active=True).values_list("user__username", "desk__code")
    )
    rows: list[LegacyRow] = []
    errors: list[RowError] = []
    today = timezone.localdate()
    for number, raw in enumerate(reader, start=2):
        cells = {name: normalize_text(raw.get(name) or "") for name in COLUMNS}
        found: list[RowError] = []

        def error(
            column: str, message: str, found: list[RowError] = found, n: int = number
        ) -> None:
            found.append(RowError(n, column, message))

        for name in REQUIRED:
            if not cells[name]:
                error(name, _("required"))
        desk = desks.get(cells["desk"])
        if cells["desk"] and desk is None:
            error("desk", _("no such desk: %(value)s") % {"value": cells["desk"]})
        day = _date(cells["date"]) if cells["date"] else None
        if cells["date"] and day is None:
            error(
                "date",
                _("not a date (YYYY-MM-DD or YYYY/MM/DD): %(value)s") % {"value": cells["date"]},
            )
        elif day is not None and day > today:
            error("date", _("in the future"))
        at_time = DEFAULT_TIME
        if cells["time"]:
            try:
                at_time = dt.datetime.strptime(cells["time"], "%H:%M").time()
            except ValueError:
                error("time", _("not a time (HH:MM): %(value)s") % {"value": cells["time"]})
        minutes = DEFAULT_MINUTES
        if cells["duration_minutes"]:
            try:
                minutes = int(cells["duration_minutes"])
            except ValueError:
                minutes = 0
            if not 1 <= minutes <= 720:
                error("duration_minutes", _("1 to 720 minutes"))
        counselor = staff.get(cells["counselor"])
        if cells["counselor"] and counselor is None:
            error("counselor", _("no such login: %(value)s") % {"value": cells["counselor"]})
        elif (
            counselor is not None
            and desk is not None
            and ((counselor.username, desk.code) not in members)
        ):
            error("counselor", _("not a member of the %(desk)s desk") % {"desk": desk.code})
        mode = _mode(cells["mode"]) if cells["mode"] else None
        if cells["mode"] and mode is None:
            error("mode", _("no such mode: %(value)s") % {"value": cells["mode"]})
        office = offices.get(cells["office"]) if cells["office"] else None
        if cells["office"] and office is None:
            error("office", _("no such office: %(value)s") % {"value": cells["office"]})
        elif mode == SessionMode.IN_PERSON_SATELLITE and (
            office is None or office.kind != OfficeKind.SATELLITE
        ):
            error("office", _("a session at a satellite names the satellite office"))
        row_topics = []
        for name in filter(
            None, (t.strip() for t in cells["topics"].replace("、", ";").split(";"))
        ):
            if name in topics:
                row_topics.append(topics[name])
            else:
                error("topics", _("no such topic: %(value)s") % {"value": name})
        if cells["corporate_number"]:
            problem = corporate_number_problem(cells["corporate_number"])
            if problem:
                error(
                    "corporate_number",
                    _("not a valid corporate number (%(problem)s)") % {"problem": problem},
                )
        if found:
            errors.extend(found)
            continue
        rows.append(
            LegacyRow(
                row=number,
                client_name=cells["client"],
                client_kana=cells["client_kana"],
                corporate_number=cells["corporate_number"],
                phone=cells["phone"],
                desk=desk,
                started_at=timezone.make_aware(dt.datetime.combine(day, at_time)),
                duration_minutes=minutes,
                counselor=counselor,
                mode=mode,
                office=office,
                topics=tuple(dict.fromkeys(row_topics)),
                summary=cells["summary"],
            )
        )
    return rows, errors


def _client_for(
    row: LegacyRow, by: User, cache: dict[tuple, Client], summary: ImportSummary
) -> Client:
    keys = []
    if row.corporate_number:
        keys.append(("number", row.corporate_number))
    if row.phone:
        keys.append(("name_phone", search_key(row.client_name), phone_digits(row.phone)))
    keys.append(("name", search_key(row.client_name), phone_digits(row.phone)))
    for key in keys:
        if key in cache:
            return cache[key]
    client = None
    if row.corporate_number:
        client = Client.objects.filter(corporate_number=row.corporate_number).first()
    if client is None and row.phone:
        client = (
            Client.objects.filter(
                name_search=search_key(row.client_name), phone_digits=phone_digits(row.phone)
            )
            .order_by("pk")
            .first()
        )
    if client is None:
        client = Client(
            kind="company",
            name=row.client_name,
            name_kana=row.client_kana,
            corporate_number=row.corporate_number,
            phone=row.phone,
            name_search=search_key(row.client_name),
            name_kana_search=search_key(row.client_kana),
            phone_digits=phone_digits(row.phone),
            size_class="unknown",
        )
        save_tracked(client, by=by, reason=CLOSURE_SUMMARY)
        summary.clients_created += 1
    else:
        summary.clients_matched += 1
    for key in keys:
        cache[key] = client
    return client


def _require_importer(by: User) -> None:
    if by.org_role != OrgRole.MANAGER and not by.is_superuser:
        raise ActionNotPermitted(_("only a manager imports legacy records"))


@transaction.atomic
def legacy_import(
    *,
    stream: TextIO,
    by: User,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Check every row, then write them all (or, with `dry_run`, write and roll back, so the
    summary says exactly what a real run would do). Raises `LegacyImportRefused` with every row
    error; nothing is written then."""
    _require_importer(by)
    rows, errors = parse(stream)
    if errors:
        raise LegacyImportRefused(errors)
    summary = ImportSummary(rows=len(rows), dry_run=dry_run)
    total = len(rows) * 2  # each row is counted once when matched and once when written

    def step(done: int) -> None:
        if progress is not None and (done % 100 == 0 or done in (len(rows), total)):
            progress(done, total)

    clients: dict[tuple, Client] = {}
    groups: dict[tuple[int, int, int], list[tuple[LegacyRow, Client]]] = {}
    for index, row in enumerate(rows, start=1):
        client = _client_for(row, by, clients, summary)
        key = (client.pk, row.desk.pk, fiscal_year_of(row.started_at))
        groups.setdefault(key, []).append((row, client))
        step(index)
    done = len(rows)
    for members in groups.values():
        members.sort(key=lambda item: item[0].started_at)
        first, last = members[0][0], members[-1][0]
        client = members[0][1]
        # A group is one fiscal year's rows: the case opens with the first and takes its number.
        case = numbered_case(
            desk=first.desk,
            opened_at=first.started_at,
            client=client,
            title=first.summary[:200],
            intake_channel=IntakeChannel.WALK_IN,
            status=CaseStatus.CLOSED,
            confidentiality=first.desk.default_confidentiality,
            lead_counselor=first.counselor,
            first_session_at=first.started_at,
            closed_at=last.started_at,
            closure_reason=ClosureReason.RESOLVED,
            closure_summary=CLOSURE_SUMMARY,
            created_by=by,
        )
        topics = list(dict.fromkeys(t for row, _c in members for t in row.topics))
        save_tracked(case, by=by, reason=CLOSURE_SUMMARY, sets={"topics": topics})
        summary.cases_created += 1
        for row, _client in members:
            session = ConsultationSession(
                case=case,
                started_at=row.started_at,
                duration_minutes=row.duration_minutes,
                mode=row.mode,
                office=row.office,
                summary=row.summary,
                created_by=by,
            )
            session.follow_case()
            save_tracked(
                session,
                by=by,
                reason=CLOSURE_SUMMARY,
                sets={"counselors": [row.counselor], "topics": list(row.topics)},
            )
            summary.sessions_created += 1
            done += 1
            step(done)
    if dry_run:
        transaction.set_rollback(True)
    return summary


def row_errors_text(errors: Iterable[RowError]) -> list[str]:
    return [str(error) for error in errors]

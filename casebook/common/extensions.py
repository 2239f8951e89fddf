"""How the apps extend each other: one registry, filled in each app's `AppConfig.ready()`.

The case page, the desk board and the case lifecycle belong to `intake`, but what they show
or refuse also depends on the apps built around cases (referrals, dispatches, the exit track,
satellites …). Those apps register here what they contribute; `intake` asks the registry and
never imports them. See docs/architecture.md ("Extension points").

- timeline providers: `(user, case) -> iterable of TimelineEntry`, the entries of the one case
  timeline that the app owns, already filtered by its policy;
- case panels: a template plus a context function `(user, case) -> dict | None` (None hides
  the panel), drawn on the case page in `order`;
- board extras: `(user, desk) -> iterable of BoardExtra`, the lists an app adds under the desk
  board's columns (incoming referrals, late visit reports …);
- close blockers: `(case) -> message | None`, open work that keeps a case from closing;
- reminder sources: occasions found in the app's own data (a follow-up date reached, a report
  late …), each sent once by the scheduled reminder job of `casebook.notifications`;
- notice subjects: for each kind of object a notification may be about, who may still see it
  and where it lives (the inbox re-checks this every time it shows or mails one);
- case event listeners: `(case, kind, user_ids) -> None`, called inside the transaction that
  publishes a case event to named people (the inbox stores it for them);
- restriction listeners: `(case) -> None`, called inside the transaction that makes a case
  `restricted` (the exit track), so that what other apps granted on it ends (the referrals'
  shares of its file);
- report sections: the fiscal-year figures an app adds to the reports (dispatch days and
  co-payments, satellite utilisation, the exit track), as plain tables the reports draw,
  chart and export without knowing the app (docs/reports.md, "Operations").
- plan metrics: metrics an app adds to plan vs actual (the expert dispatch days), each with
  how its actuals are read from the app's own records (docs/reports.md, "Plan vs actual").
- funder figures: a row an app adds to a funder pack (the IP desk's expert dispatches), read
  by month of the fiscal year; and the satisfaction survey's summary, which the よろず pack
  shows when an app provides it (docs/reports.md, "Funder packs").
- personal-data sources: `(client) -> rows`, what the app holds about a client, for the
  APPI disclosure export (docs/security.md, "APPI");
- personal-data erasers: `(client) -> number of records changed`, called inside the
  transaction of the retention run that anonymises a client (docs/security.md, "Retention");
- history kinds: for each kind of object the audit trail's history screen shows, the app's
  permission-checked getter (docs/security.md, "Audit screens");
- attachment hosts: an object of another app that files are attached to besides a case and
  its sessions (a dispatch visit's report): who sees it, who attaches to it, its case
  (docs/security.md, "Attachments");
- object panels: a box an app draws on another app's page of one object (the files of a
  visit on its report page), keyed by the kind of object, like the case panels;
- row cells: a column an app adds to another app's table of objects of one kind (the files
  of each visit on the dispatch page), read for every row at once.
- kept copies: what an app keeps of other apps' rows by database triggers (the report's
  session counts), paused for one bulk write and counted once after it (`bulk_write`).
See docs/notifications.md for the reminder and notification pieces.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import formats, timezone

from casebook.common.bulk import inverted_indexes_built_after

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the case timeline, whichever app it comes from.

    `kind` picks how the page draws it (session, assignment, transition, history, referral,
    dispatch …); `template` lets an app draw its own kinds; `obj` is the row it stands for.
    """

    kind: str
    at: dt.datetime
    by: Any = None
    obj: Any = None
    title: str = ""
    text: str = ""
    url: str = ""
    changes: tuple[Mapping[str, str], ...] = ()
    template: str = ""


@dataclass(frozen=True, slots=True)
class CasePanel:
    """A box on the case page that another app draws."""

    key: str
    template: str
    context: Callable[[User, Case], Mapping[str, Any] | None]
    order: int = 100


def read_once[T](case: Any, key: str, user: Any, read: Callable[[], T]) -> T:
    """What `read()` gives `user` about `case`, read once per case object and reader: a panel
    and a timeline provider of one page share the rows (kept on the object as `key`)."""
    seen = case.__dict__.setdefault(key, {})
    if user.pk not in seen:
        seen[user.pk] = read()
    return seen[user.pk]


@dataclass(frozen=True, slots=True)
class BoardExtra:
    """A list an app adds under the desk board's columns."""

    key: str
    label: str
    items: list[Any]
    overdue: bool = False
    template: str = ""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One occasion to remind people of something, computed from the data (never a counter).

    `key` names the occasion and is unique across every source (e.g.
    `follow_up:session=12:2026-05-01`): the reminder job records it once, so the occasion is
    sent once however often the job runs. `subject` is the object it is about (a case, a
    dispatch, a referral …; its model must be a registered notice subject): each recipient is
    re-checked against it before anything reaches them. `params` are plain values for the
    text (dates, day counts), never personal data. `on_fire` runs once, inside the
    transaction that records the occasion (e.g. to refresh the desk boards).
    """

    kind: str
    key: str
    subject: Any
    recipient_ids: frozenset[int]
    due_on: dt.date
    params: Mapping[str, Any] = field(default_factory=dict)
    on_fire: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class ReminderSource:
    """A kind of reminder an app finds in its data.

    `collect(first_day, today)` yields the occasions whose day falls between `first_day` and
    `today` (both inclusive; the window lets a run that was missed catch up). `text(subject,
    params)` is the line shown in the inbox and the mails, in the active language, where
    `subject` is the title the notice subject gives for the reader.
    """

    kind: str
    label: Any
    collect: Callable[[dt.date, dt.date], Iterable[Reminder]]
    text: Callable[[str, Mapping[str, Any]], str]
    order: int = 100


@dataclass(frozen=True, slots=True)
class ReminderKind:
    """What every app's reminders share: a kind is named, labelled and placed once.

    `occasion()` builds the reminders the app's collector yields (their keys start with the
    kind, so they are unique across sources) and `source()` what the app registers in its
    `AppConfig.ready()` (docs/notifications.md).
    """

    kind: str
    label: Any
    order: int = 100

    def occasion(
        self,
        key: str,
        *,
        subject: Any,
        recipient_ids: Iterable[int],
        due_on: dt.date,
        params: Mapping[str, Any],
        on_fire: Callable[[], None] | None = None,
    ) -> Reminder:
        return Reminder(
            kind=self.kind,
            key=f"{self.kind}:{key}",
            subject=subject,
            recipient_ids=frozenset(recipient_ids),
            due_on=due_on,
            params=params,
            on_fire=on_fire,
        )

    def source(
        self,
        collect: Callable[[dt.date, dt.date], Iterable[Reminder]],
        text: Callable[[str, Mapping[str, Any]], str],
    ) -> ReminderSource:
        return ReminderSource(
            kind=self.kind, label=self.label, collect=collect, text=text, order=self.order
        )


def reminder_date(params: Mapping[str, Any], name: str) -> str:
    """A date a reminder carries in its params (ISO), as the reader's locale writes it."""
    return formats.date_format(dt.date.fromisoformat(params[name]))


@dataclass(frozen=True, slots=True)
class NoticeSubject:
    """An object notifications may be about (`model` is the label, e.g. `intake.case`).

    `titles(user, ids)` answers, for those of `ids` the user may see NOW, a short title
    (e.g. the case number and title); ids missing from the answer are gone for this user.
    `url(id)` is where the object lives.
    """

    model: str
    titles: Callable[[User, Sequence[int]], Mapping[int, str]]
    url: Callable[[int], str]


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What a report section covers: a fiscal year, and the desks whose figures the reader
    reads narrowed to the desk filter (None: every desk). Counts include restricted cases;
    a section names no case and no client (docs/rules.md, "Visibility")."""

    fiscal_year: int
    first_day: dt.date
    last_day: dt.date
    desk_ids: frozenset[int] | None = None

    @property
    def starts(self) -> dt.datetime:
        """Midnight of the first day in the project's time zone (Asia/Tokyo), aware."""
        return timezone.make_aware(dt.datetime.combine(self.first_day, dt.time.min))

    @property
    def ends(self) -> dt.datetime:
        """The first instant after the period."""
        return timezone.make_aware(
            dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min)
        )


@dataclass(frozen=True, slots=True)
class ReportTable:
    """One table of a report section: `columns` are (key, label) pairs, each row a tuple of
    values in that order (the first names the row). `chart` is the key of the numeric column
    the page charts by row, if any; `total` an optional last line (not charted)."""

    key: str
    title: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[Any, ...], ...]
    chart: str = ""
    total: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        keys = [key for key, _label in self.columns]
        return {
            "key": self.key,
            "title": self.title,
            "columns": [{"key": key, "label": label} for key, label in self.columns],
            "rows": [dict(zip(keys, row, strict=True)) for row in self.rows],
            "total": dict(zip(keys, self.total, strict=True)) if self.total else None,
        }


@dataclass(frozen=True, slots=True)
class ReportSection:
    """Figures an app adds to the reports. `tables(scope)` reads them from the app's own
    records in a fixed number of queries. An `organisation_wide` section (not a desk's: the
    dispatch programs, the satellite offices) is read by managers and auditors only, and the
    desk filter does not narrow it."""

    key: str
    title: Any
    tables: Callable[[ReportScope], Sequence[ReportTable]]
    organisation_wide: bool = False
    order: int = 100


@dataclass(frozen=True, slots=True)
class PlanMetric:
    """A metric a plan target may name: its code (e.g. `dispatch_days.expert`), its label and
    the unit its target and actual are counted in."""

    code: str
    label: Any
    unit: Any


@dataclass(frozen=True, slots=True)
class PlanMetrics:
    """Metrics an app adds to plan vs actual. `metrics` are the codes a target may name;
    `actuals(fiscal_year)` answers {code: actual} from the app's own records, organisation-wide,
    in a fixed number of queries (a code missing is 0; codes beyond `metrics` are allowed,
    e.g. each program's days)."""

    key: str
    metrics: tuple[PlanMetric, ...]
    actuals: Callable[[int], Mapping[str, Any]]
    order: int = 100


@dataclass(frozen=True, slots=True)
class FunderFigure:
    """A row an app adds to a funder pack (`pack`: `yorozu` or `ip`). `monthly(scope)` answers
    {first day of a month: value} for the months of the scope's fiscal year (a month missing
    is 0), in a fixed number of queries; the scope's `desk_ids` hold the pack's desk. The row
    counts restricted cases and names none."""

    key: str
    pack: str
    label: Any
    monthly: Callable[[ReportScope], Mapping[dt.date, Any]]
    order: int = 100


@dataclass(frozen=True, slots=True)
class PersonalDataSource:
    """What one app holds about a client: `rows(client)` yields one mapping (field name →
    value) per record, every record whatever its case's confidentiality (the export is a
    disclosure of everything held, made by someone who sees everything)."""

    key: str
    rows: Callable[[Any], Iterable[Mapping[str, Any]]]
    order: int = 100


@dataclass(frozen=True, slots=True)
class HistoryKind:
    """A kind of object whose history rows the audit screen lists: `get(user, pk)` is the
    app's permission-checked getter (404 when `user` may not see the object)."""

    key: str
    label: str
    get: Callable[[Any, Any], Any]


@dataclass(frozen=True, slots=True)
class AttachmentHost:
    """An object files are attached to, owned by another app (`key`: the attachment's field
    that names it, e.g. `visit`). Who sees its files and who adds them follow the owning
    app's policy, never the case's: an object may be seen by people who do not see its case.

    `visible(user)` is a queryset of the objects `user` may see (its pks filter the files);
    `get(user, pk)` the app's permission-checked getter (404); `lock(obj)` re-reads the object
    locked for update; `can_attach(user, obj)` whether `user` adds files to it now;
    `case_of(obj)` the case it belongs to (the files are that case's too: the APPI export,
    the retention run, the access log); `url(obj)` the page that shows its files."""

    key: str
    visible: Callable[[Any], Any]
    get: Callable[[Any, Any], Any]
    lock: Callable[[Any], Any]
    can_attach: Callable[[Any, Any], bool]
    case_of: Callable[[Any], Any]
    url: Callable[[Any], str]
    rule: Any = ""


@dataclass(frozen=True, slots=True)
class KeptCopy:
    """Rows an app keeps from other apps' rows by database triggers. A bulk writer (the load
    generator) would have them counted statement by statement as its rows land; inside its
    one transaction it calls `pause(connection)` (this transaction's writes are not counted)
    and, after its last row, `catch_up(connection)` (everything counted anew, once)."""

    key: str
    pause: Callable[[Any], None]
    catch_up: Callable[[Any], None]


@dataclass(frozen=True, slots=True)
class RowCells:
    """A column an app adds to another app's table of objects of one kind. `values(user,
    objs)` answers {obj.pk: what its cell shows} for every row at once, in a fixed number of
    queries (a row missing is drawn empty); the table's page fetched `objs` through its own
    policy, so `user` sees them. `template` draws one cell from `cell`."""

    key: str
    label: Any
    template: str
    values: Callable[[Any, Sequence[Any]], Mapping[Any, Any]]
    order: int = 100


TimelineProvider = Callable[["User", "Case"], Iterable[TimelineEntry]]
BoardExtraProvider = Callable[["User", "Desk"], Iterable[BoardExtra]]
CloseBlocker = Callable[["Case"], "str | None"]
CaseEventListener = Callable[["Case", str, "frozenset[int]"], None]
RestrictionListener = Callable[["Case"], None]
PersonalDataEraser = Callable[[Any], int]


@dataclass
class Registry:
    timeline_providers: list[TimelineProvider] = field(default_factory=list)
    case_panels: list[CasePanel] = field(default_factory=list)
    board_extra_providers: list[BoardExtraProvider] = field(default_factory=list)
    close_blockers: list[CloseBlocker] = field(default_factory=list)
    reminder_sources: dict[str, ReminderSource] = field(default_factory=dict)
    notice_subjects: dict[str, NoticeSubject] = field(default_factory=dict)
    case_event_listeners: list[CaseEventListener] = field(default_factory=list)
    restriction_listeners: list[RestrictionListener] = field(default_factory=list)
    report_sections: dict[str, ReportSection] = field(default_factory=dict)
    personal_data_sources: dict[str, PersonalDataSource] = field(default_factory=dict)
    personal_data_erasers: list[PersonalDataEraser] = field(default_factory=list)
    history_kinds: dict[str, HistoryKind] = field(default_factory=dict)
    funder_figures: dict[str, FunderFigure] = field(default_factory=dict)
    plan_metrics: dict[str, PlanMetrics] = field(default_factory=dict)
    attachment_hosts: dict[str, AttachmentHost] = field(default_factory=dict)
    object_panels: dict[str, list[CasePanel]] = field(default_factory=dict)
    row_cells: dict[str, list[RowCells]] = field(default_factory=dict)
    kept_copies: dict[str, KeptCopy] = field(default_factory=dict)

    # Registering twice (a test that calls ready() again, a reloaded module) changes nothing.
    def add_timeline_provider(self, provider: TimelineProvider) -> None:
        _append_once(self.timeline_providers, provider)

    def add_case_panel(self, panel: CasePanel) -> None:
        self.case_panels[:] = _with_panel(self.case_panels, panel)

    def add_board_extra_provider(self, provider: BoardExtraProvider) -> None:
        _append_once(self.board_extra_providers, provider)

    def add_close_blocker(self, blocker: CloseBlocker) -> None:
        _append_once(self.close_blockers, blocker)

    def add_reminder_source(self, source: ReminderSource) -> None:
        self.reminder_sources[source.kind] = source

    def add_reminder_sources(self, *sources: ReminderSource) -> None:
        for source in sources:
            self.add_reminder_source(source)

    def add_case_extensions(
        self,
        *,
        history: HistoryKind | None = None,
        personal_data: PersonalDataSource | None = None,
        personal_data_eraser: PersonalDataEraser | None = None,
        timeline: TimelineProvider | None = None,
        panel: CasePanel | None = None,
        board_extras: BoardExtraProvider | None = None,
        close_blocker: CloseBlocker | None = None,
        restriction_listener: RestrictionListener | None = None,
    ) -> None:
        """What an app built around cases adds to them, declared in one call from its
        `extensions.register` (each argument as its `add_…` method takes it)."""
        for add, item in (
            (self.add_history_kind, history),
            (self.add_personal_data_source, personal_data),
            (self.add_personal_data_eraser, personal_data_eraser),
            (self.add_timeline_provider, timeline),
            (self.add_case_panel, panel),
            (self.add_board_extra_provider, board_extras),
            (self.add_close_blocker, close_blocker),
            (self.add_restriction_listener, restriction_listener),
        ):
            if item is not None:
                add(item)

    def register_from(self, *modules: Any) -> None:
        """Lets each of an app's modules (its `extensions`, its `reminders`) add what it
        contributes: `module.register(registry)`, from the app's `AppConfig.ready()`."""
        for module in modules:
            module.register(self)

    def add_notice_subject(self, subject: NoticeSubject) -> None:
        self.notice_subjects[subject.model] = subject

    def add_case_event_listener(self, listener: CaseEventListener) -> None:
        _append_once(self.case_event_listeners, listener)

    def add_restriction_listener(self, listener: RestrictionListener) -> None:
        _append_once(self.restriction_listeners, listener)

    def add_report_section(self, section: ReportSection) -> None:
        self.report_sections[section.key] = section

    def add_funder_figure(self, figure: FunderFigure) -> None:
        self.funder_figures[f"{figure.pack}.{figure.key}"] = figure

    def add_plan_metrics(self, metrics: PlanMetrics) -> None:
        self.plan_metrics[metrics.key] = metrics

    def add_personal_data_source(self, source: PersonalDataSource) -> None:
        self.personal_data_sources[source.key] = source

    def add_personal_data_eraser(self, eraser: PersonalDataEraser) -> None:
        _append_once(self.personal_data_erasers, eraser)

    def add_history_kind(self, kind: HistoryKind) -> None:
        self.history_kinds[kind.key] = kind

    def history_kind(self, key: str) -> HistoryKind | None:
        return self.history_kinds.get(key)

    def add_attachment_host(self, host: AttachmentHost) -> None:
        self.attachment_hosts[host.key] = host

    def attachment_host(self, key: str) -> AttachmentHost | None:
        return self.attachment_hosts.get(key)

    def add_object_panel(self, kind: str, panel: CasePanel) -> None:
        """A box on the page of one object of `kind` (e.g. `visit`); `panel.context` is
        called with `(user, obj)`."""
        self.object_panels[kind] = _with_panel(self.object_panels.get(kind, []), panel)

    def panels_for_object(
        self, kind: str, user: User, obj: Any
    ) -> list[tuple[CasePanel, Mapping[str, Any]]]:
        return _shown(self.object_panels.get(kind, []), user, obj)

    def add_row_cells(self, kind: str, cells: RowCells) -> None:
        """A column of the tables of objects of `kind` (e.g. `visit`)."""
        kept = [c for c in self.row_cells.get(kind, []) if c.key != cells.key]
        self.row_cells[kind] = sorted([*kept, cells], key=lambda c: (c.order, c.key))

    def cells_for_rows(self, kind: str, user: User, objs: Sequence[Any]) -> list[RowCells]:
        """The columns apps add to a table of `objs` of `kind`, each read once for all the
        rows; every object gets `row_cells`, [(column, its cell)] in the columns' order."""
        columns = self.row_cells.get(kind, [])
        values = [column.values(user, objs) if objs else {} for column in columns]
        for obj in objs:
            obj.row_cells = [
                (column, found.get(obj.pk)) for column, found in zip(columns, values, strict=True)
            ]
        return columns

    def add_kept_copy(self, copy: KeptCopy) -> None:
        self.kept_copies[copy.key] = copy

    @contextmanager
    def bulk_write(
        self, connection: Any, *, progress: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """The kept copies paused while the block writes, and counted anew after it, in the
        block's transaction (an error rolls back both: nothing is left paused); the search's
        inverted indexes built once after the block (`casebook.common.bulk`)."""
        if not connection.in_atomic_block:
            raise RuntimeError("bulk_write needs a transaction: wrap it in transaction.atomic()")
        copies = sorted(self.kept_copies.values(), key=lambda c: c.key)
        for copy in copies:
            copy.pause(connection)
        with inverted_indexes_built_after(connection, progress=progress):
            yield
        for copy in copies:
            started = time.monotonic()
            copy.catch_up(connection)
            if progress is not None:
                progress(f"{copy.key}: counted anew in {time.monotonic() - started:.1f} s")

    # --- what intake asks ---------------------------------------------------------------

    def timeline_entries(self, user: User, case: Case) -> list[TimelineEntry]:
        return [entry for provider in self.timeline_providers for entry in provider(user, case)]

    def panels_for(self, user: User, case: Case) -> list[tuple[CasePanel, Mapping[str, Any]]]:
        return _shown(self.case_panels, user, case)

    def board_extras(self, user: User, desk: Desk) -> list[BoardExtra]:
        return [extra for provider in self.board_extra_providers for extra in provider(user, desk)]

    def close_blocker_messages(self, case: Case) -> list[str]:
        return [message for blocker in self.close_blockers if (message := blocker(case))]

    def case_event_published(self, case: Case, kind: str, user_ids: frozenset[int]) -> None:
        for listener in self.case_event_listeners:
            listener(case, kind, user_ids)

    def case_restricted(self, case: Case) -> None:
        for listener in self.restriction_listeners:
            listener(case)

    def erase_personal_data(self, client: Any) -> int:
        return sum(eraser(client) for eraser in self.personal_data_erasers)

    def personal_data(self, client: Any) -> dict[str, list[Mapping[str, Any]]]:
        """{source key: its records about `client`}, the sources in their order."""
        sources = sorted(self.personal_data_sources.values(), key=lambda s: (s.order, s.key))
        return {source.key: list(source.rows(client)) for source in sources}

    # --- what the reminder job and the inbox ask --------------------------------------------

    def sources(self) -> list[ReminderSource]:
        return sorted(self.reminder_sources.values(), key=lambda s: (s.order, s.kind))

    def subject_for(self, model: str) -> NoticeSubject | None:
        return self.notice_subjects.get(model)

    # --- what the reports ask -------------------------------------------------------------

    def sections(self) -> list[ReportSection]:
        return sorted(self.report_sections.values(), key=lambda s: (s.order, s.key))

    def plan_metrics_sources(self) -> list[PlanMetrics]:
        return sorted(self.plan_metrics.values(), key=lambda m: (m.order, m.key))

    def funder_figures_of(self, pack: str) -> list[FunderFigure]:
        figures = [figure for figure in self.funder_figures.values() if figure.pack == pack]
        return sorted(figures, key=lambda f: (f.order, f.key))


def _with_panel(panels: list[CasePanel], panel: CasePanel) -> list[CasePanel]:
    """The panels with `panel` in place of any of its key, in their order."""
    kept = [p for p in panels if p.key != panel.key]
    return sorted([*kept, panel], key=lambda p: (p.order, p.key))


def _shown(
    panels: list[CasePanel], user: Any, obj: Any
) -> list[tuple[CasePanel, Mapping[str, Any]]]:
    """The panels that have something to show `user` about `obj`, with what they show."""
    shown = []
    for panel in panels:
        context = panel.context(user, obj)
        if context is not None:
            shown.append((panel, context))
    return shown


def _append_once(items: list[Any], item: Any) -> None:
    if item not in items:
        items.append(item)


registry = Registry()

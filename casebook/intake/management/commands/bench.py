"""`manage.py bench` (`make bench`): the main reads and writes timed on the loaded database.

Run it on a database filled by `manage.py generate_load` (docs/performance.md). Every read of
the performance table is requested in-process through the test client, as its user, with the
same URL each time: p50 and p95 over `--repeat` runs after one warm-up, the number of queries
and the size of the answer. Each list also has the queries of one request replayed as raw SQL,
one after the other, so the table shows what the ORM and the rendering add (the ratio); the
time each request spent executing its statements is kept apart too (`sql`), so the rest of the
request (its Python: middleware, the login, building and rendering the page) is measured rather
than inferred.
Writes (a session, a dispatch approval) use a fresh object per run. The WebSocket line
connects `--sockets` board sockets and times a case event from publication to each socket's
message.

The reads are listed in `bench_reads.toml`. Prints a table and writes the figures as JSON
(`--out`). It reads the demo logins (coord.yorozu, manager, counselor.yorozu, coord.dispatch,
coord.subcontract, counselor.subcontract) that `generate_load` puts in place.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import resource
import statistics
import time
import traceback
import tracemalloc
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.demo import demo_table
from casebook.common.errors import DomainError
from casebook.common.fiscal import current_fiscal_year
from casebook.common.runtime import freeze_startup_objects
from casebook.intake.models import Case, CaseStatus

READS: tuple[tuple[str, str, str, bool], ...] = demo_table(__file__, "bench_reads.toml")["reads"]


def _rss_mb(*, peak: bool = False) -> float:
    """The process's resident memory now (Linux `/proc`), or its peak so far (`getrusage`)."""
    if not peak:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return pages * resource.getpagesize() / 2**20
        except OSError:
            pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fy_start(fy: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(fy, 4, 1))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class _TimeInStatements:
    """A `connection.execute_wrapper` that adds up the time its statements take: sending
    each, the database's work, and reading its rows back into Python."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


@dataclass
class Result:
    name: str
    p50_ms: float
    p95_ms: float
    queries: int
    bytes: int = 0
    raw_sql_p95_ms: float | None = None
    # p50 of the time each request spent in its statements (sent, executed, rows read back),
    # and of the rest of the request.
    sql_p50_ms: float | None = None
    python_p50_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.raw_sql_p95_ms:
            return None
        return self.p95_ms / self.raw_sql_p95_ms


class Command(BaseCommand):
    help = "Time the main reads and writes on a loaded database; print a table, write JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--sockets", type=int, default=100)
        parser.add_argument("--label", default="run", help="names the run in the JSON")
        parser.add_argument("--out", default="", help="JSON file (default artifacts/bench-LABEL)")
        parser.add_argument("--only", default="", help="comma-separated names to run")
        parser.add_argument(
            "--memory-layer",
            action="store_true",
            help="board sockets on the in-memory channel layer instead of the configured one",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.repeat = max(options["repeat"], 2)
        self.socket_count = max(options["sockets"], 1)
        self.memory_layer = options["memory_layer"]
        only = {name for name in options["only"].split(",") if name}
        try:
            self.users = {
                name: User.objects.get(username=name)
                for name in (
                    "coord.yorozu",
                    "manager",
                    "counselor.yorozu",
                    "coord.dispatch",
                    "coord.subcontract",
                    "counselor.subcontract",
                )
            }
        except User.DoesNotExist:
            raise CommandError("no demo logins: run manage.py generate_load first") from None
        self.results: list[Result] = []
        fixtures = self._fixtures()
        self.stdout.write(
            f"{Case.objects.count():,} cases, "
            f"{apps.get_model('intake', 'ConsultationSession').objects.count():,} sessions; "
            f"{self.repeat} runs each"
        )
        for name, run in self._plan(fixtures):
            if only and name not in only:
                continue
            try:
                result = run()
            except Exception as error:  # one failing line must not lose the others
                self.stdout.write(self.style.ERROR(f"{name:<32} failed: {error!r}"))
                traceback.print_exc(file=self.stderr)
                continue
            self.results.append(result)
            self._print(result)
            self._write(options)

    # --- what is measured -------------------------------------------------------------------

    def _fixtures(self) -> dict[str, Any]:
        counselor = self.users["counselor.yorozu"]
        # The session-create line writes its sessions on this case; the case page reads
        # another, so that the bench's own writes never change which case the page shows.
        open_case = (
            Case.objects.filter(lead_counselor=counselor, status=CaseStatus.ACTIVE)
            .order_by("-opened_at")
            .first()
        )
        case = (
            Case.objects.filter(desk__code="yorozu", status=CaseStatus.ACTIVE)
            .exclude(pk=open_case.pk if open_case else None)
            .annotate(n=Count("sessions"))
            .order_by("-n", "pk")
            .first()
        )
        client_id = (
            Case.objects.values("client_id").annotate(n=Count("id")).order_by("-n")[0]["client_id"]
        )
        return {"case": case, "client_id": client_id, "open_case": open_case}

    def _plan(self, fx: dict[str, Any]) -> list[tuple[str, Any]]:
        manager, counselor = self.users["manager"], self.users["counselor.yorozu"]
        fy = current_fiscal_year() - 1
        filled = {"case": fx["case"].pk, "client": fx["client_id"], "fy": fy}
        plan: list[tuple[str, Any]] = [
            (name, partial(self._read, name, self.users[login], url.format(**filled), raw=raw))
            for name, login, url, raw in READS
        ]
        plan += [
            ("session_create", lambda: self._session_create(fx["open_case"], counselor)),
            ("dispatch_approve", self._dispatch_approve),
            ("export_csv_fy_consultations", lambda: self._export(manager, fy)),
            ("export_csv_fy_sessions", lambda: self._session_export(manager, fy, "csv")),
            ("export_xlsx_fy_sessions", lambda: self._session_export(manager, fy, "xlsx")),
            ("websocket_board_event", self._websocket),
        ]
        return plan

    def _client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def _read(self, name: str, user: User, url: str, *, raw: bool) -> Result:
        client = self._client(user)
        self._get(client, url)  # warm-up: caches, the planner, the connection
        # As a server process does once started (casebook/asgi.py): what is loaded by now
        # stays out of the full garbage collections (docs/performance.md, "The pages' tail").
        freeze_startup_objects()
        times: list[float] = []
        in_sql: list[float] = []
        for _ in range(self.repeat):
            spent = _TimeInStatements()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(spent):
                started = time.perf_counter()
                response = self._get(client, url)
                times.append((time.perf_counter() - started) * 1000)
            in_sql.append(spent.seconds * 1000)
        result = Result(
            name=name,
            p50_ms=_percentile(times, 0.5),
            p95_ms=_percentile(times, 0.95),
            queries=len(captured.captured_queries),
            bytes=len(response.content),
            sql_p50_ms=_percentile(in_sql, 0.5),
            python_p50_ms=_percentile([t - s for t, s in zip(times, in_sql, strict=True)], 0.5),
        )
        if raw:
            result.raw_sql_p95_ms = self._raw_sql(captured.captured_queries)
        return result

    def _get(self, client: Client, url: str) -> Any:
        response = client.get(url, HTTP_ACCEPT="application/json, text/html")
        if response.status_code != 200:
            raise CommandError(f"{url}: HTTP {response.status_code}")
        # The test client ties each answer to itself (`response.json` is a partial of it), a
        # cycle a server does not make: it kept every answer, and all it refers to, for the
        # garbage collector, whose collections then fell in the next requests
        # (docs/performance.md, "A request's objects freed when its answer is sent").
        del response.json
        return response

    def _raw_sql(self, queries: list[dict[str, str]]) -> float:
        """p95 of the request's SQL: every query it sent, replayed as sent, in order.

        A page read as one heavy query and a page read as a few light ones by id
        (docs/performance.md, "The lists' planning") are compared on the same terms: the
        SQL the page needs, not its heaviest part."""
        statements = [query["sql"] for query in queries]
        times = []
        with connection.cursor() as cursor:
            for _ in range(self.repeat):
                started = time.perf_counter()
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description is not None:
                        cursor.fetchall()
                times.append((time.perf_counter() - started) * 1000)
        return _percentile(times, 0.95)

    # --- writes -------------------------------------------------------------------------------

    def _timed_writes(self, name: str, requests: list[Any]) -> Result:
        times, queries = [], 0
        for request in requests:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = request()
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code not in (200, 201):
                raise CommandError(f"{name}: HTTP {response.status_code} {response.content[:300]}")
            queries = len(captured.captured_queries)
        return Result(
            name=name,
            p50_ms=_percentile(times[1:], 0.5),
            p95_ms=_percentile(times[1:], 0.95),
            queries=queries,
        )

    def _session_create(self, case: Case, user: User) -> Result:
        client = self._client(user)
        body = {
            "case": case.pk,
            "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "duration_minutes": 60,
            "mode": "phone",
            "summary": "ベンチマークの相談記録",
            "counselors": [user.pk],
        }
        return self._timed_writes(
            "session_create",
            [
                lambda: client.post("/api/v1/sessions/", body, content_type="application/json")
                for _ in range(self.repeat + 1)
            ],
        )

    def _dispatch_approve(self) -> Result:
        user = self.users["coord.dispatch"]
        client = self._client(user)
        ids = self._approvable_dispatches(user, self.repeat + 1)
        if len(ids) < 2:
            raise CommandError("dispatch_approve: no requested dispatches left")
        return self._timed_writes(
            "dispatch_approve",
            [
                lambda pk=pk: client.post(
                    f"/api/v1/dispatches/{pk}/approve/", {}, content_type="application/json"
                )
                for pk in ids
            ],
        )

    def _approvable_dispatches(self, user: User, count: int) -> list[int]:
        """Up to `count` requested dispatches of the dispatch desk that the approval accepts
        one after the other, in the order the line approves them, newest first. The approval
        service itself is asked: each is approved in a savepoint of one transaction that is
        rolled back at the end, so the line measures approvals, not refusals (an SME-only
        program and a client of unknown size, an expert's yearly maximum, a quota spent by
        the approvals before it)."""
        from casebook.experts.models import Dispatch
        from casebook.experts.services import dispatch_approve

        candidates = Dispatch.objects.filter(
            status="requested", program__desk__code="dispatch"
        ).order_by("-pk")
        chosen: list[int] = []
        with transaction.atomic():
            for dispatch in candidates.iterator():
                try:
                    with transaction.atomic():
                        dispatch_approve(dispatch=dispatch, by=user)
                except (ValidationError, DomainError):
                    continue
                chosen.append(dispatch.pk)
                if len(chosen) == count:
                    break
            transaction.set_rollback(True)
        return chosen

    def _export(self, user: User, fy: int) -> Result:
        client = self._client(user)
        url = f"/reports/consultations.csv?fy={fy}"
        times, peaks, size = [], [], 0
        for _ in range(min(self.repeat, 5)):
            tracemalloc.start()
            started = time.perf_counter()
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            times.append((time.perf_counter() - started) * 1000)
            peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
            size = len(body)
        return Result(
            name="export_csv_fy_consultations",
            p50_ms=statistics.median(times),
            p95_ms=max(times),
            queries=0,
            bytes=size,
            extra={"peak_python_mb": round(max(peaks), 1)},
        )

    def _session_export(self, user: User, fy: int, fmt: str) -> Result:
        """A fiscal year of sessions, one row each: the time to the last byte, and the
        process's resident memory sampled while the rows stream (its peak over the run, and
        how far it rose above where it started)."""
        client = self._client(user)
        url = f"/reports/sessions.{fmt}?fy={fy}"
        times, rises, size, queries = [], [], 0, 0
        for _ in range(min(self.repeat, 3)):
            before = _rss_mb()
            peak = before
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url}: HTTP {response.status_code}")
                size = 0
                if response.streaming:
                    # Sampled by the bytes streamed, every 256 KB, whatever the size of
                    # the pieces the response is written in.
                    sampled = 0
                    for chunk in response.streaming_content:
                        size += len(chunk)
                        if size - sampled >= 256 * 1024:
                            sampled = size
                            peak = max(peak, _rss_mb())
                else:
                    size = len(response.content)
                times.append((time.perf_counter() - started) * 1000)
            peak = max(peak, _rss_mb())
            rises.append(peak - before)
            queries = len(captured.captured_queries)
        return Result(
            name=f"export_{fmt}_fy_sessions",
            p50_ms=statistics.median(times),
            p95_ms=max(times),
            queries=queries,
            bytes=size,
            extra={
                "rows": apps.get_model("intake", "ConsultationSession")
                .objects.filter(started_at__gte=_fy_start(fy), started_at__lt=_fy_start(fy + 1))
                .count(),
                "peak_rss_mb": round(_rss_mb(peak=True), 1),
                "rss_rise_mb": round(max(rises), 1),
            },
        )

    # --- the board socket ---------------------------------------------------------------------

    def _websocket(self) -> Result:
        if not self.memory_layer:
            return asyncio.run(self._sockets())
        from channels.layers import channel_layers
        from django.test import override_settings

        memory = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        with override_settings(CHANNEL_LAYERS=memory):
            channel_layers.backends.clear()
            try:
                return asyncio.run(self._sockets())
            finally:
                channel_layers.backends.clear()

    async def _sockets(self) -> Result:
        from asgiref.sync import sync_to_async
        from channels.layers import get_channel_layer
        from channels.testing import WebsocketCommunicator

        from casebook.asgi import application
        from casebook.intake.events import board_group, case_event_message

        client = await sync_to_async(self._client)(self.users["coord.yorozu"])
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        headers = [(b"cookie", cookie.encode()), (b"origin", b"http://localhost")]
        sockets = []
        for _ in range(self.socket_count):
            socket = WebsocketCommunicator(application, "/ws/board/yorozu/", headers=headers)
            connected, _ = await socket.connect(timeout=120)
            if not connected:
                raise CommandError("websocket: the board socket refused the connection")
            await socket.receive_json_from(timeout=120)  # hello
            sockets.append(socket)
        case_id = await sync_to_async(
            lambda: (
                Case.objects.filter(desk__code="yorozu", status="active")
                .values_list("pk", flat=True)
                .first()
            )
        )()
        layer = get_channel_layer()
        latencies: list[float] = []
        for run in range(min(self.repeat, 10) + 1):  # the first is the warm-up
            started = time.perf_counter()
            # as a service publishes it after its commit: the facts read once, then sent
            message = await sync_to_async(case_event_message)(
                case_id=case_id, kind="updated", desk_code="yorozu"
            )
            await layer.group_send(board_group("yorozu"), message)

            async def one(socket: WebsocketCommunicator, since: float = started) -> float:
                await socket.receive_json_from(timeout=60)
                return (time.perf_counter() - since) * 1000

            measured = await asyncio.gather(*(one(s) for s in sockets))
            if run:
                latencies += measured
        for socket in sockets:
            await socket.disconnect()
        return Result(
            name="websocket_board_event",
            p50_ms=_percentile(latencies, 0.5),
            p95_ms=_percentile(latencies, 0.95),
            queries=0,
            extra={"sockets": len(sockets), "memory_layer": self.memory_layer},
        )

    # --- output -------------------------------------------------------------------------------

    def _print(self, result: Result) -> None:
        raw = f"{result.raw_sql_p95_ms:8.1f}" if result.raw_sql_p95_ms is not None else " " * 8
        ratio = f"{result.ratio:6.1f}×" if result.ratio is not None else ""
        split = ""
        if result.sql_p50_ms is not None and result.python_p50_ms is not None:
            split = f"  sql {result.sql_p50_ms:6.1f} + rest {result.python_p50_ms:6.1f}"
        extra = " ".join(f"{k}={v}" for k, v in result.extra.items())
        self.stdout.write(
            f"{result.name:<32} p50 {result.p50_ms:8.1f}  p95 {result.p95_ms:8.1f} ms  "
            f"q {result.queries:4d}  {result.bytes / 1024:8.0f} KB  raw {raw} {ratio}{split} "
            f"{extra}"
        )
        self.stdout.flush()

    def _write(self, options: dict[str, Any]) -> None:
        out = Path(options["out"] or f"artifacts/bench-{options['label']}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "label": options["label"],
            "at": timezone.now().isoformat(),
            "repeat": self.repeat,
            "results": [asdict(r) | {"ratio": r.ratio} for r in self.results],
        }
        out.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        self.stdout.write(self.style.SUCCESS(f"Written {out}"))

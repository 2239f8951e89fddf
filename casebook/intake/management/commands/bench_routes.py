"""`manage.py bench_routes`: every page and list without a parameter, timed on a loaded database.

`manage.py bench` times the main reads by name. This walks every route of the URL resolver
that takes no parameter (`casebook.common.routes`: the site's pages, its exports and the
API's lists and reports), as each of a few demo logins, so that a screen whose cost follows
the size of the database shows without anyone naming it (docs/performance.md, "Every list
on the decade"). For each route and login: the fastest of `--repeat` requests after a
warm-up, the queries, the size of the answer (a streamed export's bytes) and the slowest
query, its time and its start; the table is sorted slowest first and written as JSON. A
route that answers another status (a form that only posts, a page the login may not read)
is listed with it. It is a measurement, not a test: nothing fails on a slow figure.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.routes import all_routes
from casebook.common.runtime import freeze_startup_objects


@dataclass
class RouteTiming:
    login: str
    route: str
    url: str
    status: int
    best_ms: float
    queries: int
    bytes: int
    slowest_query_ms: float
    slowest_query: str


class Command(BaseCommand):
    help = "Time every route without a parameter as a few logins; print a table, write JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--logins", default="coord.yorozu,manager")
        parser.add_argument("--repeat", type=int, default=2)
        parser.add_argument("--skip", default="", help="comma-separated route names to leave out")
        parser.add_argument("--out", default="artifacts/bench-routes.json")

    def handle(self, *args: Any, **options: Any) -> None:
        skip = {name for name in options["skip"].split(",") if name}
        routes = [
            route
            for route in all_routes()
            if route.name
            and not route.is_admin
            and not route.has_parameters
            and route.name not in skip
        ]
        repeat = max(options["repeat"], 1)
        timings: list[RouteTiming] = []
        for username in filter(None, options["logins"].split(",")):
            try:
                user = User.objects.get(username=username)
            except User.DoesNotExist:
                raise CommandError(f"no login {username!r}: run manage.py generate_load") from None
            client = Client()
            client.force_login(user)
            freeze_startup_objects()
            for number, route in enumerate(routes, 1):
                timings.append(self._timed(client, username, route.name, repeat))
                self.stdout.write(f"\r{username}: {number}/{len(routes)} routes", ending="")
                self.stdout.flush()
            self.stdout.write("")
        timings.sort(key=lambda timing: -timing.best_ms)
        for timing in timings:
            self.stdout.write(
                f"{timing.best_ms:8.1f} ms  {timing.status}  q {timing.queries:3d}  "
                f"{timing.bytes / 1024:8.0f} KB  {timing.login:<14} {timing.url:<42} "
                f"slowest {timing.slowest_query_ms:6.1f} ms  {timing.slowest_query}"
            )
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"at": timezone.now().isoformat(), "repeat": repeat}
        payload["results"] = [asdict(timing) for timing in timings]
        out.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        self.stdout.write(self.style.SUCCESS(f"{len(timings)} timings written to {out}"))

    def _timed(self, client: Client, login: str, name: str, repeat: int) -> RouteTiming:
        url = reverse(name)
        self._get(client, url)  # warm-up: caches, the planner, the connection
        best = float("inf")
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response, size = self._get(client, url)
                best = min(best, (time.perf_counter() - started) * 1000)
        queries = captured.captured_queries
        slowest = max(queries, key=lambda query: float(query["time"]), default=None)
        return RouteTiming(
            login=login,
            route=name,
            url=url,
            status=response.status_code,
            best_ms=round(best, 1),
            queries=len(queries),
            bytes=size,
            slowest_query_ms=round(float(slowest["time"]) * 1000, 1) if slowest else 0.0,
            slowest_query=" ".join(slowest["sql"].split())[:100] if slowest else "",
        )

    def _get(self, client: Client, url: str) -> tuple[Any, int]:
        response = client.get(url, HTTP_ACCEPT="application/json, text/html")
        if response.streaming:
            return response, sum(len(chunk) for chunk in response.streaming_content)
        return response, len(response.content)

"""Demo clients, cases and sessions: twelve months of a desk's work up to today.

About 300 clients, 1,000 cases and 3,000 sessions (`--quick`: a few dozen of each, still with
every status and closure reason). Everything goes through the services, replayed in date
order as of the moment it happened, so numbering, invariants and history are real.
A case already in the database (same client and title) is skipped with all of its steps.
"""

from __future__ import annotations

from casebook.accounts.models import DeskMembership, DeskRole
from casebook.common.demo import DemoContext
from casebook.intake.demo.clients import client_specs, existing_clients
from casebook.intake.demo.plans import (
    FULL_CLIENTS,
    QUICK_CLIENTS,
    Calendar,
    CasePlan,
    Staff,
    plan_identities,
    status_mix,
)
from casebook.intake.demo.runner import Runner
from casebook.intake.demo.timeline import draw_timelines
from casebook.intake.models import Case, Client
from casebook.satellites.models import OfficeKind

__all__ = ["seed"]


def is_quick(ctx: DemoContext) -> bool:
    return ctx.quick


def _staff(ctx: DemoContext) -> Staff:
    counselors: dict[str, list[str]] = {}
    coordinators: dict[str, list[str]] = {}
    exit_team: list[str] = []
    memberships = (
        DeskMembership.objects.filter(active=True, user__username__in=list(ctx.users))
        .select_related("desk", "user")
        .order_by("user__username")
    )
    for membership in memberships:
        username, desk = membership.user.username, membership.desk.code
        if membership.role == DeskRole.COUNSELOR:
            counselors.setdefault(desk, []).append(username)
        elif membership.role == DeskRole.COORDINATOR:
            coordinators.setdefault(desk, []).append(username)
        elif membership.role == DeskRole.EXIT_TEAM:
            exit_team.append(username)
    exit_team.sort(key=lambda name: (name != "exit.lead", name))  # the team lead first
    satellites = sorted(
        code for code, office in ctx.offices.items() if office.kind == OfficeKind.SATELLITE
    )
    # Each satellite is staffed by a rota of three yorozu counselors.
    yorozu = counselors["yorozu"]
    rota = {
        code: [yorozu[(n * 3 + k) % len(yorozu)] for k in range(3)]
        for n, code in enumerate(satellites)
    }
    return Staff(counselors, coordinators, exit_team, rota)


def _already_seeded(plans: list[CasePlan], clients: dict[int, Client]) -> dict[int, Case]:
    """{plan index: case} of the plans whose case exists: same client (or anonymous), title."""
    existing = {(c.client_id, c.title): c for c in Case.objects.select_related("desk")}
    done = {}
    for plan in plans:
        client = clients.get(plan.client) if plan.client is not None else None
        if plan.client is not None and client is None:
            continue
        case = existing.get((client.pk if client else None, plan.title))
        if case is not None:
            done[plan.index] = case
    return done


def seed(ctx: DemoContext) -> None:
    quick = is_quick(ctx)
    specs = client_specs(QUICK_CLIENTS if quick else FULL_CLIENTS)
    clients = existing_clients(specs)
    staff = _staff(ctx)
    plans = plan_identities(status_mix(quick), specs, sorted(staff.satellite_rota))
    done = _already_seeded(plans, clients)
    todo = [p for p in plans if p.index not in done]
    draw_timelines(plans, staff, Calendar.up_to(ctx.today))
    runner = Runner(
        users=ctx.users,
        desks=ctx.desks,
        offices=ctx.offices,
        client_specs=specs,
        clients=clients,
    )
    runner.cases.update(done)
    counts = runner.run(todo)
    ctx.log(
        f"clients: {counts['client']} created; cases: {counts['open']} opened, "
        f"{counts['session']} sessions logged, {counts['close']} closed "
        f"({len(done)} cases were already there)"
    )

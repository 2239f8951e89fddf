"""Demo staff: the demo logins the README lists and the staffing of the plan.

Every user is found by username before it is created, so a second run adds nobody. All demo
accounts share one password; it is hashed once per run (hashing is deliberately slow).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password

from casebook.accounts.models import Desk, DeskMembership, DeskRole, OrgRole, User
from casebook.common.demo import DemoContext
from casebook.common.models import save_tracked

EMAIL_DOMAIN = "example.jp"

# Staffing of the plan per desk: (extra counselors, extra coordinators) on top of the demo
# logins counselor.D and coord.D. Yorozu: 30 coordinators (counselor role); IP: 6 support
# specialists; subcontracting: 1 counselor; trade: 2 advisors; expert dispatch: 4 chief
# techno-experts (coordinators); matching: 4 business coordinators.
STAFFING: dict[str, tuple[int, int]] = {
    "yorozu": (29, 1),
    "ip": (5, 0),
    "subcontract": (0, 0),
    "trade": (1, 0),
    "dispatch": (1, 3),
    "matching": (3, 0),
}
EXIT_TEAM_EXTRA = 3


@dataclass(frozen=True)
class StaffSpec:
    username: str
    org_role: str = OrgRole.NONE
    memberships: tuple[tuple[str, str], ...] = ()
    login_note: str = ""  # set for the demo logins that are printed
    superuser: bool = False


def staff_specs() -> list[StaffSpec]:
    """Everyone the demo creates, in a fixed order (names are drawn in this order)."""
    specs = [
        StaffSpec("admin", OrgRole.ADMIN, login_note="system administrator", superuser=True),
        StaffSpec("manager", OrgRole.MANAGER, login_note="manager (reads everything)"),
        StaffSpec("auditor", OrgRole.AUDITOR, login_note="auditor (read-only)"),
    ]
    for desk_code, (_counselors, _coordinators) in STAFFING.items():
        specs.append(
            StaffSpec(
                f"coord.{desk_code}",
                memberships=((desk_code, DeskRole.COORDINATOR),),
                login_note=f"coordinator of {desk_code}",
            )
        )
        specs.append(
            StaffSpec(
                f"counselor.{desk_code}",
                memberships=((desk_code, DeskRole.COUNSELOR),),
                login_note=f"counselor of {desk_code}",
            )
        )
    specs.append(
        StaffSpec(
            "exit.lead",
            memberships=(("yorozu", DeskRole.EXIT_TEAM),),
            login_note="exit team (closure special team) of yorozu",
        )
    )
    for desk_code, (counselors, coordinators) in STAFFING.items():
        for n in range(2, counselors + 2):
            specs.append(
                StaffSpec(f"{desk_code}.{n:02d}", memberships=((desk_code, DeskRole.COUNSELOR),))
            )
        for n in range(2, coordinators + 2):
            specs.append(
                StaffSpec(
                    f"coord.{desk_code}.{n}", memberships=((desk_code, DeskRole.COORDINATOR),)
                )
            )
    for n in range(2, EXIT_TEAM_EXTRA + 2):
        specs.append(StaffSpec(f"exit.{n:02d}", memberships=(("yorozu", DeskRole.EXIT_TEAM),)))
    return specs


def _new_user(ctx: DemoContext, spec: StaffSpec, password_hash: str, by: User | None) -> User:
    last, last_kana, _ = ctx.faker.last_name_pair()
    first, first_kana, _ = ctx.faker.first_name_pair()
    user = User(
        username=spec.username,
        first_name=first,
        last_name=last,
        display_name=f"{last} {first}",
        display_name_kana=f"{last_kana} {first_kana}",
        email=f"{spec.username}@{EMAIL_DOMAIN}",
        org_role=spec.org_role,
        is_staff=spec.superuser,
        is_superuser=spec.superuser,
        password=password_hash,
    )
    save_tracked(user, by=by, reason="demo data")
    return user


def seed(ctx: DemoContext) -> None:
    ctx.faker.seed_instance(2101)  # names do not depend on what other apps drew before
    desks = {desk.code: desk for desk in Desk.objects.all()}
    ctx.desks.update(desks)
    existing = {u.username: u for u in User.objects.filter(username__in=_usernames())}
    password_hash = make_password(ctx.password)
    created = 0
    admin: User | None = existing.get("admin")
    for spec in staff_specs():
        # Names are drawn for every spec, existing or not, so the draws stay in step.
        user = existing.get(spec.username)
        if user is None:
            user = _new_user(ctx, spec, password_hash, by=admin)
            created += 1
        else:
            ctx.faker.last_name_pair()
            ctx.faker.first_name_pair()
        if spec.username == "admin":
            admin = user
        ctx.users[user.username] = user
        for desk_code, role in spec.memberships:
            _ensure_membership(user, desks[desk_code], role, by=admin)
        if spec.login_note:
            ctx.logins.append((user.username, spec.login_note))
    _refresh_demo_password(ctx, password_hash)
    ctx.log(f"staff: {created} created, {len(ctx.users)} in the demo")


def _usernames() -> list[str]:
    return [spec.username for spec in staff_specs()]


def _ensure_membership(user: User, desk: Desk, role: str, *, by: User | None) -> None:
    if DeskMembership.objects.filter(user=user, desk=desk, role=role).exists():
        return
    save_tracked(DeskMembership(user=user, desk=desk, role=role), by=by, reason="demo data")


def _refresh_demo_password(ctx: DemoContext, password_hash: str) -> None:
    """When the demo password changed since the first run, the printed logins still work."""
    admin = ctx.users["admin"]
    if check_password(ctx.password, admin.password):
        return
    # The password is excluded from the history, so a plain update writes no history row.
    User.objects.filter(username__in=_usernames()).update(password=password_hash)
    ctx.log("demo password changed for every demo login")

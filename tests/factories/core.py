"""Factories of staff, desks, offices, clients, cases and sessions."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from casebook.accounts.models import Desk, DeskMembership, DeskRole, OrgRole, User
from casebook.intake.models import Case, Client, ConsultationSession
from casebook.satellites.models import Office

PASSWORD = "casebook-test-pw"


def desk(code: str) -> Desk:
    """Desks come from the reference-data migration; tests look them up by code."""
    return Desk.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="ja_JP")
    password = factory.django.Password(PASSWORD)
    org_role = OrgRole.NONE


def member(desk_code: str, role: str = DeskRole.COUNSELOR, **kwargs) -> User:
    user = UserFactory(**kwargs)
    DeskMembership.objects.create(user=user, desk=desk(desk_code), role=role)
    return user


def api_token(user: User) -> str:
    """A new API token of `user`, as the token exchange issues it (the token itself)."""
    from casebook.api.services import token_issue

    return token_issue(user=user)[1]


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"office{n}")
    name = factory.Sequence(lambda n: f"サテライト{n}")
    kind = "satellite"
    municipality = "水戸市"


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    kind = "company"
    name = factory.Sequence(lambda n: f"株式会社テスト{n}")
    name_kana = factory.Sequence(lambda n: f"カブシキガイシャテスト{n}")
    name_search = factory.LazyAttribute(lambda o: o.name.lower())
    name_kana_search = factory.LazyAttribute(lambda o: o.name_kana.lower())
    industry = "E"
    capital_yen = 10_000_000
    employees = 30
    size_class = "sme"
    prefecture = "茨城県"
    municipality = "水戸市"


class CaseFactory(factory.django.DjangoModelFactory):
    """A case in any state without going through the services (for reads and policy tests)."""

    class Meta:
        model = Case

    desk = factory.LazyFunction(lambda: desk("yorozu"))
    fiscal_year = factory.LazyFunction(lambda: 2026)
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: f"{o.desk.code}-{o.fiscal_year}-{o.sequence:05d}")
    client = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"相談案件{n}")
    intake_channel = "walk_in"
    status = "intake"
    opened_at = factory.LazyFunction(timezone.now)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationSession

    case = factory.SubFactory(CaseFactory)
    # The case's desk, client and confidentiality, as every writer copies them
    # (docs/performance.md).
    desk = factory.LazyAttribute(lambda session: session.case.desk)
    client = factory.LazyAttribute(lambda session: session.case.client)
    case_confidentiality = factory.LazyAttribute(lambda session: session.case.confidentiality)
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    duration_minutes = 60
    mode = "in_person_hq"
    summary = "資金繰りについて相談"


def case_in_state(status: str, *, lead: User, by: User, desk_code: str = "yorozu", **open_kwargs):
    """A case brought to `status` through the real services (each step as a real user would).

    `lead` becomes the lead counselor; `by` must be allowed to assign at the desk.
    """
    from casebook.intake import services

    client = open_kwargs.pop("client", None) or ClientFactory()
    case = services.case_open(
        desk=desk(desk_code),
        client=client,
        title=open_kwargs.pop("title", "資金繰りの相談"),
        intake_channel="walk_in",
        by=by,
        **open_kwargs,
    )
    if status == "intake":
        return case
    if status == "closed_from_intake":
        return services.case_close(case=case, by=by, reason="out_of_scope", summary="対象外")
    case = services.case_assign(case=case, counselor=lead, by=by)
    if status == "assigned":
        return case
    if status == "on_hold":
        return services.case_hold(
            case=case,
            by=by,
            reason="資料待ち",
            resume_by=timezone.localdate() + dt.timedelta(days=7),
        )
    services.session_log(
        case=case,
        by=lead,
        started_at=timezone.now() - dt.timedelta(hours=2),
        duration_minutes=60,
        mode="in_person_hq",
        summary="初回相談",
    )
    case.refresh_from_db()
    if status == "active":
        return case
    if status == "dispatch":
        return services.case_dispatch_started(case=case, by=by)
    if status == "closed":
        return services.case_close(case=case, by=by, reason="resolved", summary="解決した")
    raise ValueError(status)


def duplicate_closed_into_survivor(*, lead: User, by: User) -> tuple[Case, Case]:
    """An active case (with its first session) closed by `by` as a duplicate of an assigned
    case of the same client: its sessions move to the survivor. Returns (duplicate, survivor)."""
    from casebook.intake import services

    duplicate = case_in_state("active", lead=lead, by=by)
    survivor = case_in_state("assigned", lead=lead, by=by, client=duplicate.client)
    services.case_close(
        case=duplicate, by=by, reason="duplicate", summary="重複登録", duplicate_of=survivor
    )
    return duplicate, survivor


def open_backlog(
    per_status: int, *, lead: User, desk_code: str = "yorozu", title: str = "資金繰りの相談"
) -> list[Case]:
    """`per_status` cases in each open status of a desk, written in one insert (a backlog for
    the board's bounds), opened a minute apart, the oldest first."""
    from casebook.intake.models import OPEN_STATUSES

    the_desk = desk(desk_code)
    client = ClientFactory()
    start = timezone.now() - dt.timedelta(days=30)
    base = Case.objects.filter(desk=the_desk, fiscal_year=2026).count() + 10_000
    cases = []
    for s, status in enumerate(OPEN_STATUSES):
        for n in range(per_status):
            sequence = base + s * per_status + n
            cases.append(
                Case(
                    desk=the_desk,
                    fiscal_year=2026,
                    sequence=sequence,
                    number=f"{desk_code}-2026-{sequence:05d}",
                    client=client,
                    title=title,
                    intake_channel="walk_in",
                    status=status,
                    lead_counselor=None if status == "intake" else lead,
                    resume_by=timezone.localdate() if status == "on_hold" else None,
                    opened_at=start + dt.timedelta(minutes=sequence - base),
                )
            )
    return Case.objects.bulk_create(cases)

"""The people of the end-to-end scenario, and changes made behind the browsers' backs.

Run with DATABASE_URL pointing at the server's (migrated) database:
    python -m tests.e2e.stage                 create the people
    python -m tests.e2e.stage open-case TITLE  the coordinator opens a case at the yorozu desk
    python -m tests.e2e.stage corrections NAME  two look-alike clients, a case of each, a
                                                session logged 10 days ago, a dispute case
"""

from __future__ import annotations

import sys

import django

PASSWORD = "casebook-e2e-pw"
PEOPLE = {
    # username: (display name, kana, desk, role)
    "e2e.coord": ("水戸 花子", "ミト ハナコ", "yorozu", "coordinator"),
    "e2e.counselor": ("日立 太郎", "ヒタチ タロウ", "yorozu", "counselor"),
}


def create_people() -> None:
    from casebook.accounts.models import Desk, DeskMembership, User

    for username, (name, kana, desk_code, role) in PEOPLE.items():
        user, _ = User.objects.get_or_create(
            username=username, defaults={"display_name": name, "display_name_kana": kana}
        )
        user.set_password(PASSWORD)
        user.save()
        DeskMembership.objects.get_or_create(
            user=user, desk=Desk.objects.get(code=desk_code), role=role
        )


def open_case(title: str) -> None:
    from casebook.accounts.models import Desk, User
    from casebook.intake import services

    coordinator = User.objects.get(username="e2e.coord")
    client = services.client_create(by=coordinator, kind="company", name=f"{title}の会社")
    services.case_open(
        desk=Desk.objects.get(code="yorozu"),
        client=client,
        title=title,
        intake_channel="phone",
        by=coordinator,
    )


def corrections(name: str) -> None:
    """What a day of corrections starts from: the coordinator leads a yorozu case of the
    client `name` with a session logged 10 days ago (a correction is an amendment now), the
    look-alike client `name` (株) has a case of its own, and the coordinator also works at
    the dispute desk, where `name` has a case."""
    import datetime as dt

    from django.utils import timezone

    from casebook.accounts.models import Desk, DeskMembership, User
    from casebook.intake import services
    from casebook.intake.models import ConsultationSession

    coordinator = User.objects.get(username="e2e.coord")
    DeskMembership.objects.get_or_create(
        user=coordinator, desk=Desk.objects.get(code="subcontract"), role="coordinator"
    )
    first = services.client_create(
        by=coordinator, kind="company", name=f"株式会社{name}", phone="029-000-1111"
    )
    second = services.client_create(
        by=coordinator, kind="company", name=f"{name}（株）", phone="029-000-2222"
    )

    def case_of(client: object, desk: str, title: str) -> object:
        case = services.case_open(
            desk=Desk.objects.get(code=desk),
            client=client,
            title=title,
            intake_channel="phone",
            by=coordinator,
        )
        return services.case_assign(case=case, counselor=coordinator, by=coordinator)

    case = case_of(first, "yorozu", f"{name}の資金繰り")
    ten_days_ago = timezone.now() - dt.timedelta(days=10)
    session = services.session_log(
        case=case,
        by=coordinator,
        started_at=ten_days_ago,
        duration_minutes=60,
        mode="in_person_hq",
        summary="資金繰り表の作り方を説明した。",
    )
    ConsultationSession.objects.filter(pk=session.pk).update(created_at=ten_days_ago)
    case_of(second, "yorozu", f"{name}の販路開拓")
    case_of(first, "subcontract", f"{name}の代金減額")


def main(argv: list[str]) -> None:
    django.setup()
    if argv[:1] == ["open-case"]:
        open_case(argv[1])
    elif argv[:1] == ["corrections"]:
        corrections(argv[1])
    else:
        create_people()


if __name__ == "__main__":
    main(sys.argv[1:])

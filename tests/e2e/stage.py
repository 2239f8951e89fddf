"""The people of the end-to-end scenario, and changes made behind the browsers' backs.

Run with DATABASE_URL pointing at the server's (migrated) database:
    python -m tests.e2e.stage                 create the people
    python -m tests.e2e.stage open-case TITLE  the coordinator opens a case at the yorozu desk
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


def main(argv: list[str]) -> None:
    django.setup()
    if argv[:1] == ["open-case"]:
        open_case(argv[1])
    else:
        create_people()


if __name__ == "__main__":
    main(sys.argv[1:])

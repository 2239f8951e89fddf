"""The people of the end-to-end scenario, created in the server's database.

Run as `python -m tests.e2e.stage` with DATABASE_URL pointing at the (migrated) database.
"""

from __future__ import annotations

import django

PASSWORD = "casebook-e2e-pw"
PEOPLE = {
    # username: (display name, kana, desk, role)
    "e2e.coord": ("水戸 花子", "ミト ハナコ", "yorozu", "coordinator"),
    "e2e.counselor": ("日立 太郎", "ヒタチ タロウ", "yorozu", "counselor"),
}


def main() -> None:
    django.setup()
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


if __name__ == "__main__":
    main()

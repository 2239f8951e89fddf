"""What `manage.py seed_demo` hands to each app's `demo.seed(ctx)`.

Each app that has demo data keeps it in `casebook/<app>/demo.py` with a `seed(ctx)` function.
Seeding is idempotent: every object is found by a natural key (username, office code,
corporate number, case number, program code …) before it is created, so a second run
creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from faker import Faker

DEMO_PASSWORD_ENV = "CASEBOOK_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "casebook-demo"


@dataclass
class DemoContext:
    password: str
    quick: bool = False  # a small data set (tests): every status, a few dozen cases
    today: dt.date = field(default_factory=timezone.localdate)
    rng: random.Random = field(default_factory=lambda: random.Random(2021))
    faker: Faker = field(default_factory=lambda: Faker("ja_JP"))
    # Filled as apps seed, for the apps after them: users by username, desks and offices by code.
    users: dict[str, Any] = field(default_factory=dict)
    desks: dict[str, Any] = field(default_factory=dict)
    offices: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, what it is)
    messages: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.faker.seed_instance(2021)

    def log(self, message: str) -> None:
        self.messages.append(message)

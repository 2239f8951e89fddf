"""What `manage.py seed_demo` hands to each app's `demo.seed(ctx)`.

Each app that has demo data keeps it in `casebook/<app>/demo.py` with a `seed(ctx)` function.
Seeding is idempotent: every object is found by a natural key (username, office code,
corporate number, case number, program code …) before it is created, so a second run
creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone
from faker import Faker

DEMO_PASSWORD_ENV = "CASEBOOK_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "casebook-demo"


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


def demo_table(beside: str, name: str) -> dict[str, Any]:
    """The demo data file `name` in the folder of the module `beside` (its `__file__`), its
    lists read as tuples: the words and lists a demo is made of are data, kept apart from the
    code that draws from them."""
    with (Path(beside).parent / name).open("rb") as file:
        return _frozen(tomllib.load(file))


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

"""Demo clients: Japanese companies, sole proprietors and would-be founders in Ibaraki.

The specs are drawn from their own seeded generators, independent of the date and of what
already exists, so every run describes the same clients; a client is looked up by its
natural key (法人番号, else normalised name + phone) before it is created.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from casebook.accounts.models import User
from casebook.common.japanese import corporate_number_check_digit, phone_digits, search_key
from casebook.intake import services
from casebook.intake.demo.vocabulary import (
    CONTACT_TITLES,
    LEGAL_FORMS,
    PLACES,
    REGISTRY_OFFICES,
    SHOP_TRADES,
    TRADES,
    Place,
)
from casebook.intake.models import Client, ClientKind

PREFECTURE = "茨城県"


@dataclass
class ClientSpec:
    kind: str
    name: str
    name_kana: str
    representative: str
    representative_kana: str
    industry: str
    capital_yen: int | None
    employees: int | None
    postal_code: str
    municipality: str
    address: str
    phone: str
    email: str
    corporate_number: str = ""
    has_innovation_plan: bool = False
    sales_yen: int | None = None  # reported at intake, for the outcome figures
    contacts: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kana, title)

    @property
    def key(self) -> tuple[str, str] | str:
        return self.corporate_number or (search_key(self.name), phone_digits(self.phone))

    def fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "name_kana": self.name_kana,
            "corporate_number": self.corporate_number,
            "representative": self.representative,
            "industry": self.industry,
            "capital_yen": self.capital_yen,
            "employees": self.employees,
            "postal_code": self.postal_code,
            "prefecture": PREFECTURE,
            "municipality": self.municipality,
            "address": self.address,
            "phone": self.phone,
            "email": self.email,
            "has_innovation_plan": self.has_innovation_plan,
        }


class _Draw:
    """One seeded source of names, numbers and places for the client specs."""

    def __init__(self) -> None:
        self.rng = random.Random("casebook-demo-clients")
        self.faker = Faker("ja_JP")
        self.faker.seed_instance(2102)
        self.names: set[str] = set()
        self.numbers: set[str] = set()
        self.phones: set[str] = set()
        self.last_romaji = ""

    def person(self) -> tuple[str, str, str, str]:
        last, last_kana, self.last_romaji = self.faker.last_name_pair()
        first, first_kana, _ = self.faker.first_name_pair()
        return last, last_kana, first, first_kana

    def place(self) -> tuple[Place, str, str]:
        place = self.rng.choices(PLACES, weights=[p.weight for p in PLACES])[0]
        town, postal_code = self.rng.choice(place.towns)
        if self.rng.random() < 0.6:
            street = (
                f"{self.rng.randint(1, 5)}丁目{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
            )
        else:
            street = str(self.rng.randint(100, 3999))
        return place, postal_code, f"{town}{street}"

    def phone(self, place: Place, *, mobile: bool = False) -> str:
        while True:
            if mobile:
                prefix = f"0{self.rng.choice('89')}0"
                number = f"{prefix}-{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}"
            else:
                # Area code + local exchange + line number: ten digits in all.
                exchange_length = 6 - len(place.area_code)
                free = exchange_length - len(place.exchange)
                exchange = place.exchange + "".join(
                    str(self.rng.randint(0, 9)) for _ in range(free)
                )
                number = f"{place.area_code}-{exchange}-{self.rng.randint(1000, 9999)}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def corporate_number(self, kind_code: str) -> str:
        while True:
            base = (
                f"{self.rng.choice(REGISTRY_OFFICES)}{kind_code}{self.rng.randint(1, 999999):06d}"
            )
            number = f"{corporate_number_check_digit(base)}{base}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def unique(self, name: str) -> bool:
        if name in self.names:
            return False
        self.names.add(name)
        return True


def _represented_by(last: str, last_kana: str, first: str, first_kana: str) -> dict[str, str]:
    return {
        "representative": f"{last} {first}",
        "representative_kana": f"{last_kana} {first_kana}",
    }


def _located(
    draw: _Draw, place: Place, postal_code: str, address: str, *, mobile: bool = False
) -> dict[str, str]:
    """The address fields of a drawn place and a phone number there. The phone is drawn here,
    where each builder has always drawn it, so that a seed gives the same clients."""
    return {
        "postal_code": postal_code,
        "municipality": place.municipality,
        "address": address,
        "phone": draw.phone(place, mobile=mobile),
    }


def _company(draw: _Draw) -> ClientSpec:
    rng = draw.rng
    while True:
        last, last_kana, first, first_kana = draw.person()
        romaji = draw.last_romaji.lower()
        trade, trade_kana, trade_romaji, industry = rng.choice(TRADES)
        legal, kind_code, _ = rng.choices(LEGAL_FORMS, weights=[w for *_, w in LEGAL_FORMS])[0]
        stem = f"{last}{trade}"
        name = f"{legal}{stem}" if rng.random() < 0.6 else f"{stem}{legal}"
        if draw.unique(name):
            break
    place, postal_code, address = draw.place()
    if rng.random() < 0.03:  # a few large companies, outside the SME law's limits
        capital, employees = rng.choice([500_000_000, 1_000_000_000]), rng.randint(320, 900)
    elif legal == "有限会社":
        capital, employees = rng.choice([3_000_000, 5_000_000]), rng.randint(1, 25)
    elif legal == "合同会社":
        capital, employees = rng.choice([1_000_000, 3_000_000, 5_000_000]), rng.randint(1, 12)
    else:
        employees = rng.choice([3, 8, 15, 25, 40, 60, 90, 150, 250]) + rng.randint(0, 6)
        # Capital grows with the headcount, in the round amounts companies register.
        tiers = [(10, (3, 5, 10)), (50, (10, 20, 30)), (150, (30, 50, 100)), (999, (50, 100, 300))]
        choices = next(amounts for limit, amounts in tiers if employees < limit)
        capital = rng.choice(choices) * 1_000_000
    contacts = [(f"{last} {first}", f"{last_kana} {first_kana}", "代表取締役")]
    if employees > 10:
        c_last, c_last_kana, c_first, c_first_kana = draw.person()
        contacts.append(
            (f"{c_last} {c_first}", f"{c_last_kana} {c_first_kana}", rng.choice(CONTACT_TITLES))
        )
    slug = f"{romaji}-{trade_romaji}"
    return ClientSpec(
        kind=ClientKind.COMPANY,
        name=name,
        name_kana=f"{last_kana}{trade_kana}",
        **_represented_by(last, last_kana, first, first_kana),
        industry=industry,
        capital_yen=capital,
        employees=employees,
        **_located(draw, place, postal_code, address),
        email=f"info@{slug}.example.jp",
        corporate_number=draw.corporate_number(kind_code) if rng.random() < 0.88 else "",
        has_innovation_plan=industry == "E" and rng.random() < 0.3,
        sales_yen=max(employees, 1) * rng.randint(8, 30) * 1_000_000,
        contacts=contacts,
    )


def _sole_proprietor(draw: _Draw) -> ClientSpec:
    rng = draw.rng
    while True:
        last, last_kana, first, first_kana = draw.person()
        trade, trade_kana, industry = rng.choice(SHOP_TRADES)
        name = f"{last}{trade}"
        if draw.unique(name):
            break
    place, postal_code, address = draw.place()
    employees = rng.randint(0, 4)
    return ClientSpec(
        kind=ClientKind.SOLE_PROPRIETOR,
        name=name,
        name_kana=f"{last_kana}{trade_kana}",
        **_represented_by(last, last_kana, first, first_kana),
        industry=industry,
        capital_yen=None,
        employees=employees,
        **_located(draw, place, postal_code, address),
        email="",
        sales_yen=rng.randint(5, 40) * 1_000_000,
        contacts=[(f"{last} {first}", f"{last_kana} {first_kana}", "代表")],
    )


def _founder(draw: _Draw) -> ClientSpec:
    while True:
        last, last_kana, first, first_kana = draw.person()
        name = f"{last} {first}"
        if draw.unique(name):
            break
    place, postal_code, address = draw.place()
    return ClientSpec(
        kind=ClientKind.FOUNDER,
        name=name,
        name_kana=f"{last_kana} {first_kana}",
        **_represented_by(last, last_kana, first, first_kana),
        industry="",
        capital_yen=None,
        employees=None,
        **_located(draw, place, postal_code, address, mobile=True),
        email="",
    )


def client_specs(count: int) -> list[ClientSpec]:
    """`count` clients: about 70% companies, 22% sole proprietors, 8% would-be founders."""
    draw = _Draw()
    makers = (_company, _sole_proprietor, _founder)
    specs = []
    for _ in range(count):
        maker = draw.rng.choices(makers, weights=[70, 22, 8])[0]
        specs.append(maker(draw))
    return specs


def existing_clients(specs: list[ClientSpec]) -> dict[int, Client]:
    """{spec index: client} of the specs already in the database, by natural key."""
    numbers = [s.corporate_number for s in specs if s.corporate_number]
    by_number = {c.corporate_number: c for c in Client.objects.filter(corporate_number__in=numbers)}
    by_name_phone = {
        (c.name_search, c.phone_digits): c
        for c in Client.objects.filter(name_search__in=[search_key(s.name) for s in specs])
    }
    found = {}
    for index, spec in enumerate(specs):
        client = by_number.get(spec.key) if spec.corporate_number else by_name_phone.get(spec.key)
        if client is not None:
            found[index] = client
    return found


def create_client(spec: ClientSpec, *, by: User) -> Client:
    """Register the client through the service, with its contacts (as the intake form does)."""
    client = services.client_create(by=by, **spec.fields())
    for position, (name, kana, title) in enumerate(spec.contacts):
        services.contact_create(
            client=client,
            by=by,
            name=name,
            name_kana=kana,
            title=title,
            phone=spec.phone,
            is_primary=position == 0,
        )
    return client

"""Factories of experts, dispatch programs and dispatches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from casebook.common.fiscal import current_fiscal_year
from casebook.experts.models import (
    ConflictDeclaration,
    Dispatch,
    DispatchProgram,
    Expert,
    SubQuota,
)
from tests.factories.core import CaseFactory, UserFactory, desk


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expert

    name = factory.Sequence(lambda n: f"専門家{n}")
    name_kana = factory.Sequence(lambda n: f"センモンカ{n}")
    name_search = factory.LazyAttribute(lambda o: f"{o.name}{o.name_kana}".lower())
    qualifications = factory.LazyFunction(lambda: ["sme_consultant"])
    specialties = factory.LazyFunction(lambda: ["management"])
    service_areas = factory.LazyFunction(lambda: ["茨城県"])
    day_rate_yen = 40_000
    max_days_per_fy = Decimal("50.0")
    registered_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=400))
    active = True


class ConflictDeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConflictDeclaration

    expert = factory.SubFactory(ExpertFactory)
    company_name = factory.Sequence(lambda n: f"関係会社{n}")
    company_name_search = factory.LazyAttribute(lambda o: o.company_name.lower())
    relation = "advisor"
    declared_on = factory.LazyFunction(timezone.localdate)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DispatchProgram
        django_get_or_create = ("fiscal_year", "code")

    fiscal_year = factory.LazyFunction(current_fiscal_year)
    code = factory.Sequence(lambda n: f"program{n}")
    name = factory.Sequence(lambda n: f"専門家派遣事業{n}")
    desk = factory.LazyFunction(lambda: desk("dispatch"))
    quota_days = Decimal("800.0")
    copay_ratio = Decimal("0.333")


class SubQuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubQuota

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"sub{n}")
    name = factory.Sequence(lambda n: f"特別枠{n}")
    quota_days = Decimal("40.0")
    free = True


class DispatchFactory(factory.django.DjangoModelFactory):
    """A dispatch in any state without the services (for reads and policy tests)."""

    class Meta:
        model = Dispatch

    case = factory.SubFactory(
        CaseFactory, status="active", lead_counselor=factory.SubFactory(UserFactory)
    )
    program = factory.SubFactory(ProgramFactory)
    expert = factory.SubFactory(ExpertFactory)
    purpose = "生産工程の改善指導"
    requested_days = Decimal("2.0")
    day_rate_yen = 40_000
    status = "requested"
    requested_by = factory.LazyAttribute(lambda o: o.case.lead_counselor)

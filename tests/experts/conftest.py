"""A dispatch desk with its coordinator, a program, an expert and an active case."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from casebook.accounts.models import DeskRole, User
from casebook.experts import services
from casebook.experts.models import Dispatch, DispatchProgram, Expert
from casebook.intake.models import Case
from tests.factories import CaseFactory, ExpertFactory, ProgramFactory, member


@dataclass
class Setting:
    dispatch_coordinator: User  # coordinator of the dispatch desk (owns the program)
    program: DispatchProgram
    expert: Expert
    case: Case  # active yorozu case led by cast.counselor


@pytest.fixture
def setting(cast) -> Setting:
    return Setting(
        dispatch_coordinator=member("dispatch", DeskRole.COORDINATOR, username="dispatchcoord"),
        program=ProgramFactory(code="expert", quota_days=Decimal("800.0")),
        expert=ExpertFactory(name="山田 太郎", specialties=["production_technology"]),
        case=CaseFactory(status="active", lead_counselor=cast.counselor),
    )


@pytest.fixture
def requested(cast, setting) -> Dispatch:
    return services.dispatch_request(
        case=setting.case,
        program=setting.program,
        expert=setting.expert,
        purpose="工程改善の指導",
        requested_days="3",
        by=cast.counselor,
        submit=True,
    )

"""`manage.py generate_load` writes a decade the app can work on: numbering, leads, closures
and the open share hold, and the lists read it."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q

from casebook.intake.models import Case, CaseSequence, ConsultationSession
from casebook.intake.selectors.cases import cases_apart_from_their_follow_up
from casebook.intake.selectors.sessions import sessions_apart_from_their_case


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_load", "--force", "--scale", "0.002", *args, stdout=out)
    return out.getvalue()


def test_a_small_decade_is_written_with_progress_and_a_summary(cast):
    output = _generate()
    assert "cases: 400 rows" in output
    assert "Done in" in output
    assert Case.objects.count() == 400
    assert ConsultationSession.objects.count() > 1_000
    years = set(Case.objects.values_list("fiscal_year", flat=True))
    assert len(years) == 10


def test_generated_cases_are_numbered_without_gaps_per_desk_and_year(cast):
    _generate()
    numbers = defaultdict(list)
    for desk, year, sequence in Case.objects.values_list("desk_id", "fiscal_year", "sequence"):
        numbers[(desk, year)].append(sequence)
    for key, sequences in numbers.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1))
        assert CaseSequence.objects.get(desk_id=key[0], fiscal_year=key[1]).last_value == len(
            sequences
        )


def test_generated_cases_keep_the_case_invariants(cast):
    _generate()
    closed = Case.objects.filter(status="closed")
    assert not closed.filter(Q(closure_reason="") | Q(closure_summary="")).exists()
    assert not closed.filter(closed_at__lt=F("opened_at")).exists()
    assert (
        not Case.objects.exclude(status__in=["intake", "closed"])
        .filter(lead_counselor=None)
        .exists()
    )
    assert not ConsultationSession.objects.filter(started_at__lt=F("case__opened_at")).exists()
    # The COPY rows carry their case's desk and client, as the services write them.
    assert not sessions_apart_from_their_case().exists()
    # Each case carries its latest session's follow-up date, as the services keep it.
    assert Case.objects.filter(next_follow_up__isnull=False).exists()
    assert not cases_apart_from_their_follow_up().exists()


def test_the_decade_shape_is_mostly_closed_and_the_stress_shape_mostly_open(cast):
    _generate("--seed", "1")
    decade_open = Case.objects.exclude(status="closed").count()
    assert decade_open < 400 * 0.1
    _generate("--shape", "stress", "--seed", "2")
    stress = Case.objects.values("status").annotate(n=Count("id"))
    open_now = sum(row["n"] for row in stress if row["status"] != "closed") - decade_open
    assert open_now > 400 * 0.5


def test_a_new_case_after_the_load_takes_the_next_number(cast):
    from casebook.intake import services
    from tests.factories import ClientFactory, desk

    _generate()
    yorozu = desk("yorozu")
    case = services.case_open(
        desk=yorozu,
        client=ClientFactory(),
        title="負荷の後の相談",
        intake_channel="phone",
        by=cast.counselor,
    )
    sequence = CaseSequence.objects.get(desk=yorozu, fiscal_year=case.fiscal_year)
    assert case.sequence == sequence.last_value
    assert Case.objects.filter(desk=yorozu, fiscal_year=case.fiscal_year).count() == case.sequence


def test_the_coordinator_reads_the_generated_cases_through_the_api(cast, client):
    _generate()
    client.force_login(cast.coordinator)
    response = client.get("/api/v1/cases/?page_size=50")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 50


def test_a_scale_out_of_range_is_refused_naming_the_option(cast):
    with pytest.raises(CommandError, match="--scale"):
        call_command("generate_load", "--force", "--scale", "0", stdout=StringIO())

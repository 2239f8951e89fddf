from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.common.models import full_clean_loaded
from casebook.intake.models import ConsultationSession
from tests.factories import CaseFactory, UserFactory


def _session(**fields) -> ConsultationSession:
    user = UserFactory()
    values = {
        "case": CaseFactory(status="active", lead_counselor=user),
        "created_by": user,
        "started_at": timezone.now(),
        "duration_minutes": 60,
        "mode": "phone",
        "summary": "電話で相談",
    }
    return ConsultationSession(**(values | fields))


@pytest.mark.django_db
def test_a_new_rows_keys_held_in_memory_are_not_looked_up_again():
    session = _session()
    with CaptureQueriesContext(connection) as plain:
        session.full_clean(validate_constraints=False)
    with CaptureQueriesContext(connection) as loaded:
        full_clean_loaded(session, validate_constraints=False)
    assert len(plain.captured_queries) == 2  # the case and the user, one query each
    assert len(loaded.captured_queries) == 0


@pytest.mark.django_db
def test_a_key_given_only_as_an_id_is_still_checked():
    session = _session()
    session.created_by_id = 987654  # no such user, and no object in memory for it
    with pytest.raises(ValidationError) as raised:
        full_clean_loaded(session, validate_constraints=False)
    assert set(raised.value.message_dict) == {"created_by"}


@pytest.mark.django_db
def test_the_other_checks_still_name_their_fields():
    session = _session(mode="fax", summary="")
    session.duration_minutes = 0
    with pytest.raises(ValidationError) as raised:
        full_clean_loaded(session)
    errors = raised.value.message_dict
    assert "mode" in errors and "summary" in errors
    # The range check of the duration is the model's constraint: asked unless told otherwise.
    assert "session_duration_in_range" in str(raised.value)

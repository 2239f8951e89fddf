from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casebook.intake import services
from casebook.intake.models import Case, Client
from tests.factories import desk


def test_an_intake_registers_the_new_client_and_opens_the_case(cast):
    case = services.intake_take(
        by=cast.counselor,
        desk=desk("yorozu"),
        new_client={"kind": "company", "name": "株式会社笠間窯業"},
        title="販路開拓",
        intake_channel="walk_in",
    )
    assert case.client.name == "株式会社笠間窯業"


def test_a_refused_case_leaves_no_new_client_behind(cast):
    with pytest.raises(ValidationError) as refused:
        services.intake_take(
            by=cast.counselor,
            desk=desk("yorozu"),
            new_client={"kind": "company", "name": "株式会社笠間窯業"},
            title="販路開拓",
            intake_channel="carrier_pigeon",
        )
    assert "intake_channel" in refused.value.message_dict
    assert not Client.objects.exists()
    assert not Case.objects.exists()

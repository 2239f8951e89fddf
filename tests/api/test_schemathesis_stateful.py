"""Stateful run of the live OpenAPI schema (docs/security.md, "Hostile input"): schemathesis
chains calls along the schema's links (`casebook.api.schema.add_links`: a create's `id` to its
object's reads, edits and steps), so the generated requests reach objects that exist instead
of 404s. Every answer: never a 5xx, and as the schema describes it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_schemathesis import _schema, _schema_document, _some_data
from tests.factories import api_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A few dozen calls: scenarios of a few steps each, the same ones every run.
SCENARIOS = 6
STEPS = 6


def test_the_schema_links_each_create_to_its_object():
    paths = _schema_document()["paths"]
    links = paths["/api/v1/cases/"]["post"]["responses"]["201"]["links"]
    retrieve = paths["/api/v1/cases/{id}/"]["get"]["operationId"]
    assert links[retrieve] == {"operationId": retrieve, "parameters": {"id": "$response.body#/id"}}
    nested = paths["/api/v1/dispatches/{dispatch_pk}/visits/"]["post"]["responses"]["201"]
    assert all(
        link["parameters"]["dispatch_pk"] == "$request.path.dispatch_pk"
        for link in nested["links"].values()
    )


# The whole API (breadth: most generated creates are refused, the walk mostly reads), and the
# client register (depth: its creates succeed with generated data, so the walk goes on along
# the links to the new client's edits, contacts and cases).
SCOPES = {"everything": r"^/api/v1/", "client register": r"^/api/v1/clients/"}


@pytest.mark.usefixtures("keep_the_test_connection")
@pytest.mark.parametrize("scope", SCOPES)
def test_chained_requests_never_get_a_server_error_and_every_answer_matches_the_schema(cast, scope):
    _some_data(cast)
    headers = {"Authorization": f"Token {api_token(cast.coordinator)}"}
    schema = _schema(headers).include(path_regex=SCOPES[scope])
    machine = schema.as_state_machine()

    class Walk(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Walk.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )

"""Property-based run of the live OpenAPI schema against the app, in-process (WSGI)."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casebook.intake import services
from tests.factories import ClientFactory, api_token, desk

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 5


@functools.cache
def _schema_document() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _schema(headers: dict[str, str]) -> schemathesis.schemas.BaseSchema:
    """The live schema, as the app serves it at /api/schema/ (to a login), bound to the WSGI
    app."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), headers=headers)
    assert set(schema.raw_schema["paths"]) == set(_schema_document()["paths"])
    return schema


def _resource(path: str) -> str:
    return path.removeprefix("/api/v1/").split("/")[0]


def _runs() -> list[tuple[str, GenerationMode]]:
    """One run per resource (first path segment under /api/v1/) and generation mode.

    Negative runs need some input to break: a resource whose operations take no parameter
    and no body (e.g. `me`) only gets the positive run.
    """
    paths = _schema_document()["paths"]
    runs: set[tuple[str, GenerationMode]] = set()
    for path, operations in paths.items():
        runs.add((_resource(path), GenerationMode.POSITIVE))
        if any(op.get("parameters") or op.get("requestBody") for op in operations.values()):
            runs.add((_resource(path), GenerationMode.NEGATIVE))
    return sorted(runs)


def _some_data(cast) -> None:
    client = ClientFactory()
    case = services.case_open(
        desk=desk("yorozu"),
        client=client,
        title="販路開拓の相談",
        intake_channel="phone",
        by=cast.coordinator,
        topics=["sales_channels"],
        lead_counselor=cast.counselor,
    )
    services.session_log(
        case=case,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(hours=2),
        duration_minutes=45,
        mode="phone",
        summary="展示会の出展について",
    )


@pytest.mark.usefixtures("keep_the_test_connection")
@pytest.mark.parametrize(("resource", "mode"), _runs())
def test_generated_requests_never_get_a_server_error_and_every_answer_matches_the_schema(
    cast, resource, mode
):
    _some_data(cast)
    token = api_token(cast.coordinator)
    headers = {"Authorization": f"Token {token}"}
    schema = _schema(headers)
    operations = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if _resource(operation.path) == resource
    ]
    assert operations

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # This operation has nothing to break (no parameters, no body): nothing to send.
            assert mode == GenerationMode.NEGATIVE

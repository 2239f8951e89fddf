"""OpenAPI generation: every operation documents the error shape and its headers, and each
create links to what takes the object it made (`add_links`)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from casebook.api.idempotency import IdempotentCreateMixin
from casebook.api.viewsets import ServiceUpdateMixin

_DESCRIPTIONS = {
    "400": "Invalid input; `errors` names each field.",
    "401": "Not authenticated.",
    "403": "Visible, but the user lacks the role for this action (the rule is named).",
    "404": "No such object, or one the user may not see.",
    "406": "The requested media type cannot be produced.",
    "409": "A state transition or a rule refused the request.",
    "412": "If-Match names a stale version.",
    "415": "Unsupported request media type.",
    "422": "The Idempotency-Key was used for a different request.",
    "428": "If-Match is required.",
    "429": "Too many requests.",
}


class CasebookAutoSchema(AutoSchema):
    """Adds the error responses, `If-Match` on updates and `Idempotency-Key` on creates."""

    def get_request_serializer(self) -> Any:
        action = getattr(self.view, "action", None)
        if action == "create" and getattr(self.view, "create_serializer_class", None):
            return self.view.create_serializer_class
        if action in ("update", "partial_update") and getattr(
            self.view, "update_serializer_class", None
        ):
            return self.view.update_serializer_class
        return super().get_request_serializer()

    def _is_transition(self) -> bool:
        handler = getattr(self.view, getattr(self.view, "action", "") or "", None)
        return bool(getattr(handler, "is_transition", False))

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "406", "429"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["409", "412", "415"]
        if self.method in ("PUT", "PATCH"):
            codes += ["428"]
        if self.method == "POST":
            codes += ["422"]
        return codes

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        from casebook.api.serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = _DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and self._is_transition():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description='The ETag you last read, e.g. "3": a stale one answers 412.',
                )
            )
        if isinstance(self.view, ServiceUpdateMixin) and self.method in ("PUT", "PATCH"):
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    required=True,
                    description='The ETag of the version being edited, e.g. "3".',
                )
            )
        if (
            isinstance(self.view, IdempotentCreateMixin)
            and self.method == "POST"
            and self._is_create_operation()
            and not getattr(self.view, "detail", False)
            and getattr(self.view, "action", None) == "create"
        ):
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Replays within 24 hours return the first response.",
                )
            )
        return parameters


_ITEM_PARAMETER = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}/")
_PATH_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: OpenAPI links from each collection's create
    (`POST …/`, 201) to what takes the new object's `id` (its `GET`/`PUT`/`PATCH`/`DELETE …/{id}/`
    and its steps `POST …/{id}/<step>/`), the parent's path parameters carried over and the
    create's ETag given as `If-Match` where the target takes one. A client
    reads how the calls chain; schemathesis' stateful run walks them (tests/api/)."""
    paths: dict[str, dict[str, Any]] = result.get("paths", {})
    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or not _has_id(created, result):
            continue
        links: dict[str, Any] = {}
        for path, targets in paths.items():
            if not path.startswith(collection) or path == collection:
                continue
            rest = path[len(collection) :]
            item = _ITEM_PARAMETER.match(rest)
            if item is None or rest[item.end() :].count("/") > 1:
                continue
            parameters = {
                name: f"$request.path.{name}" for name in _PATH_PARAMETER.findall(collection)
            }
            parameters[item.group("name")] = "$response.body#/id"
            for method, operation in targets.items():
                if method not in ("get", "put", "patch", "delete", "post"):
                    continue
                operation_id = operation.get("operationId")
                if not operation_id:
                    continue
                given = dict(parameters)
                if any(
                    parameter.get("in") == "header" and parameter.get("name") == "If-Match"
                    for parameter in operation.get("parameters", [])
                ):
                    # The new object's version, as its create answered it.
                    given["header.If-Match"] = "$response.header.ETag"
                links[operation_id] = {"operationId": operation_id, "parameters": given}
        if links:
            created["links"] = links
    return result


def _has_id(response: dict[str, Any], result: dict[str, Any]) -> bool:
    """Whether a response's JSON body is an object with an `id` (a component or inline)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        name = reference.removeprefix("#/components/schemas/")
        schema = result.get("components", {}).get("schemas", {}).get(name, {})
    return "id" in schema.get("properties", {})

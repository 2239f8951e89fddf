"""One JSON shape for every API error (docs/architecture.md, "The API").

    {"type": "validation_error", "code": "invalid", "detail": "…",
     "errors": [{"field": "corporate_number", "code": "check_digit", "message": "…"}]}

`type` is the family (what the HTTP status says), `code` the precise reason. Domain errors of
`casebook.common.errors` map to their statuses here, so services raise and never build
responses. A TransitionNotAllowed also carries `current` and `requested`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from casebook.common.errors import (
    ActionNotPermitted,
    ConflictError,
    DomainError,
    StaleVersion,
    TransitionNotAllowed,
)

logger = logging.getLogger("casebook.api")

NON_FIELD = "non_field_errors"


class PreconditionRequired(exceptions.APIException):
    """PUT or PATCH without `If-Match` (HTTP 428)."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _lazy("this update needs an If-Match header with the ETag you last read")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    """`If-Match` names a version that is not the current one (HTTP 412)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _lazy("the object changed since you read it")
    default_code = "stale_version"


class IdempotencyKeyReused(exceptions.APIException):
    """The same `Idempotency-Key` came with another request body or path (HTTP 422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _lazy("this Idempotency-Key was already used for a different request")
    default_code = "idempotency_key_reused"


TYPES: dict[int, str] = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    415: "unsupported_media_type",
    422: "unprocessable",
    428: "precondition_required",
    429: "throttled",
    500: "server_error",
}


def error_body(
    status_code: int,
    *,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The error document; `extra` adds keys such as `current`/`requested` of a transition."""
    return {
        "type": TYPES.get(status_code, "client_error" if status_code < 500 else "server_error"),
        "code": code,
        "detail": detail,
        "errors": errors or [],
        **extra,
    }


def _flatten_drf(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """[{field, code, message}] from DRF's nested dict/list of ErrorDetail."""
    found: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD if key in (NON_FIELD, NON_FIELD_ERRORS) else str(key)
            found += _flatten_drf(value, f"{prefix}.{name}" if prefix else name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                found += _flatten_drf(value, f"{prefix}.{index}" if prefix else str(index))
            else:
                found += _flatten_drf(value, prefix)
    else:
        found.append(
            {
                "field": prefix or NON_FIELD,
                "code": getattr(detail, "code", None) or "invalid",
                "message": force_str(detail),
            }
        )
    return found


def _flatten_django(exc: DjangoValidationError) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = NON_FIELD if field == NON_FIELD_ERRORS else field
            for error in errors:
                for message in error.messages:
                    found.append(
                        {"field": name, "code": error.code or "invalid", "message": message}
                    )
    else:
        for error in exc.error_list:
            for message in error.messages:
                found.append(
                    {"field": NON_FIELD, "code": error.code or "invalid", "message": message}
                )
    return found


def _validation_response(errors: list[dict[str, str]]) -> Response:
    fields = sorted({e["field"] for e in errors if e["field"] != NON_FIELD})
    if fields:
        detail = _("please correct these fields: %s") % ", ".join(fields)
    else:
        detail = errors[0]["message"] if errors else _("the request is not valid")
    return Response(error_body(400, code="invalid", detail=detail, errors=errors), status=400)


def _domain_response(exc: DomainError) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(exc, TransitionNotAllowed):
        status_code = 409
        extra = {"current": exc.current, "requested": exc.requested}
    elif isinstance(exc, StaleVersion):
        status_code = 412
        extra = {"expected_version": exc.expected, "current_version": exc.current}
    elif isinstance(exc, ActionNotPermitted):
        status_code = 403
    elif isinstance(exc, ConflictError):
        status_code = 409
        candidates = getattr(exc, "candidates", None)
        if candidates:
            extra = {"candidates": [{"id": c.pk, "name": str(c)} for c in candidates]}
    else:
        status_code = 400
    body = error_body(status_code, code=exc.code, detail=exc.message, **extra)
    return Response(body, status=status_code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every exception becomes the one error shape."""
    if isinstance(exc, DomainError):
        response = _domain_response(exc)
    elif isinstance(exc, DjangoValidationError):
        response = _validation_response(_flatten_django(exc))
    elif isinstance(exc, exceptions.ValidationError):
        response = _validation_response(_flatten_drf(exc.detail))
    elif isinstance(exc, Http404):
        response = Response(error_body(404, code="not_found", detail=_("not found")), status=404)
    elif isinstance(exc, PermissionDenied):
        response = Response(
            error_body(403, code="permission_denied", detail=force_str(exc) or _("forbidden")),
            status=403,
        )
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else force_str(exc.default_detail)
        response = Response(
            error_body(exc.status_code, code=code, detail=force_str(detail)), status=exc.status_code
        )
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            response["Retry-After"] = f"{int(exc.wait)}"
    else:
        view = context.get("view")
        logger.exception("unhandled error in %s", type(view).__name__ if view else "API view")
        response = Response(
            error_body(500, code="server_error", detail=_("an unexpected error occurred")),
            status=500,
        )
    set_rollback()
    return response

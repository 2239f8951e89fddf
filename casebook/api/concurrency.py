"""Optimistic concurrency over HTTP: ETag from `version`, `If-Match` on every update.

A representation with a `version` goes out with `ETag: "<version>"`. PUT and PATCH must send
`If-Match` with that ETag: without it the answer is 428, with an older one 412 (the service
re-checks the version under a row lock, so two parallel updates cannot both win).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from casebook.api.exceptions import PreconditionFailed, PreconditionRequired

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version_from(request: Request, *, required: bool = True) -> int | None:
    """The version named by `If-Match`; 428 when it is missing and `required`.

    `If-Match: *` names no version and is refused like a missing header, since it would
    overwrite whatever is stored. A malformed value matches no version: 412.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        if required:
            raise PreconditionRequired()
        return None
    for candidate in header.split(","):
        match = _ETAG.match(candidate)
        if match:
            return int(match.group(1))
    raise PreconditionFailed(detail=_("If-Match does not name a version of this object"))


class ETagMixin:
    """Every successful answer whose body has a `version` carries it as its ETag."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            200 <= response.status_code < 300
            and isinstance(data, dict)
            and isinstance(data.get("version"), int)
        ):
            response["ETag"] = etag_for(data["version"])
        return response


class VersionedUpdateMixin(ETagMixin, ABC):
    """Adds ETags to responses and makes PUT/PATCH conditional on `If-Match`.

    The view implements `perform_versioned_update(instance, validated_data, expected_version)`
    and returns the updated object; the service it calls raises StaleVersion (412) when the
    stored version moved on. The update input serializer is `get_update_serializer_class()`
    (defaults to the view's serializer), the output is the view's serializer.
    """

    def get_update_serializer_class(self) -> type:
        return self.get_serializer_class()

    @abstractmethod
    def perform_versioned_update(
        self, instance: Model, validated_data: dict[str, Any], expected_version: int
    ) -> Model:
        """Call the service that applies `validated_data` if `expected_version` is current."""

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        expected = expected_version_from(request)
        serializer_class = self.get_update_serializer_class()
        serializer = serializer_class(
            instance, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        updated = self.perform_versioned_update(instance, serializer.validated_data, expected)
        return Response(self.get_serializer(updated).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

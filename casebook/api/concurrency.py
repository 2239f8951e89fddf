"""Optimistic concurrency over HTTP: ETag from `version`, `If-Match` on every update.

A representation with a `version` goes out with `ETag: "<version>"`. PUT and PATCH must send
`If-Match` with that ETag: without it the answer is 428, with an older one 412 (the service
re-checks the version under a row lock, so two parallel updates cannot both win).
"""

from __future__ import annotations

import re
from typing import Any

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

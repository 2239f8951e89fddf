"""Turning ids and codes in a request body into objects, through permission-checked getters.

A reference the user may not see reads exactly like one that does not exist: a field error
`does_not_exist` on that field (never a 404 on the whole request, never a hint of existence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _


def _missing(field: str) -> ValidationError:
    return ValidationError({field: ValidationError(_("no such object"), code="does_not_exist")})


def resolve[T](field: str, getter: Callable[..., T], **lookup: Any) -> T:
    """`getter(**lookup)`, or a field error on `field` when it answers 404 / DoesNotExist.

    A lookup whose value is None resolves to None (an optional reference left empty).
    """
    if any(value is None for value in lookup.values()):
        return None  # type: ignore[return-value]
    try:
        return getter(**lookup)
    except (Http404, ObjectDoesNotExist, ValueError, TypeError):
        raise _missing(field) from None


def resolve_many[T](
    field: str, getter: Callable[..., dict[Any, T]], values: Iterable[Any]
) -> list[T]:
    """All of `values` through a getter of many (`getter(pks=…) -> {pk: object}`), in their
    order, in one query; a field error on `field` when any of them is missing."""
    wanted = list(dict.fromkeys(values))
    found = getter(pks=wanted) if wanted else {}
    if len(found) != len(wanted):
        raise _missing(field)
    return [found[pk] for pk in wanted]

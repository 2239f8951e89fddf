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

from casebook.accounts.selectors import active_desk_get, active_staff_get
from casebook.satellites.selectors import office_get

__all__ = [
    "active_desk_get",
    "active_staff_get",
    "office_get",
    "resolve",
    "resolve_many",
]


def _missing(field: str) -> ValidationError:
    return ValidationError({field: ValidationError(_("no such object"), code="does_not_exist")})


def resolve[T](field: str, getter: Callable[[Any], T], value: Any) -> T:
    """`getter(value)` or a field error on `field` when it raises Http404 / DoesNotExist."""
    try:
        return getter(value)
    except (Http404, ObjectDoesNotExist, ValueError, TypeError):
        raise _missing(field) from None


def resolve_many[T](field: str, getter: Callable[[Any], T], values: Iterable[Any]) -> list[T]:
    return [resolve(field, getter, value) for value in values]

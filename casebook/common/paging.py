"""One page of a list as a screen shows it (docs/rules.md: every list is paged and every
screen bounded): the rows of the page read in one query, and whether there is a next one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int
    has_next: bool

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(queryset: QuerySet, *, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Page `number` of `queryset`, `size` rows at the most; one query whatever the page (one
    row more than the page tells whether a next one exists)."""
    number = max(number, 1)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)


def page_number(query: Mapping[str, str], name: str = "page") -> int:
    """The page a query string asks for under `name` (1 when absent or not a number)."""
    try:
        return max(int(query.get(name, 1)), 1)
    except (TypeError, ValueError):
        return 1


def query_without(query: QueryDict, name: str = "page") -> str:
    """The screen's query string without `name`, ready to take one more pair: what the pager
    (templates/includes/pager.html) keeps of the filters as its `query`."""
    rest = query.copy()
    rest.pop(name, None)
    encoded = rest.urlencode()
    return f"{encoded}&" if encoded else ""

"""The first rows of a list filtered by an OR of branches, each branch read through its own
index and cut at the page (docs/performance.md, "Lists: one index scan per branch").

A filter `A OR B OR C` where each part is served by a different index (a desk's cases, the
cases a counselor leads, the cases shared with a desk) cannot be walked in the list's order
by any one index: PostgreSQL reads every row that passes it and sorts them before taking a
page. Read separately, each branch is an index scan in the list's order that stops after the
page; the page is then the first rows of their union, which holds at most `branches × stop`
ids. The rows themselves are read once, by those ids, with the list's own filter still
applied (the branches narrow the search; they never widen what the filter lets through).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class Branches:
    """A list's visibility rule as branches (`intake.policy.visible_case_branches`) and the
    rows they are read from (the list without the rule)."""

    base: QuerySet
    branches: list[Q]


def splits_branches() -> bool:
    """Whether the database reads a LIMIT inside a UNION (PostgreSQL); elsewhere (SQLite) a
    list is read with its plain filter."""
    return connection.features.supports_slicing_ordering_in_compound


def first_rows(
    queryset: QuerySet, *, base: QuerySet, branches: Sequence[Q], start: int = 0, stop: int
) -> QuerySet:
    """`queryset[start:stop]`, its ids chosen among each branch's first `stop` rows.

    `queryset` is the list as its reader may see it (filtered by the OR of `branches`),
    ordered by a unique order (its last field the primary key); `base` is the same list with
    the same filters but without the visibility rule: each branch is read from `base`, so
    that the planner sees the branch's own condition alone (with the whole OR beside it, it
    misjudges how many rows the branch has and walks the list's order instead). The page is
    read from `queryset`: the branches only choose candidates, the rule is applied as ever.
    """
    if len(branches) < 2 or not splits_branches():
        return queryset[start:stop]
    ordering: Sequence[Any] = queryset.query.order_by or queryset.model._meta.ordering
    parts = [base.filter(branch).order_by(*ordering).values("pk")[:stop] for branch in branches]
    chosen = parts[0].union(*parts[1:], all=True)
    return queryset.filter(pk__in=chosen)[start:stop]

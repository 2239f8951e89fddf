"""Loading a plan's targets (docs/reports.md, "Plan vs actual")."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.common.models import save_tracked
from casebook.reports import metrics, policy
from casebook.reports.models import PlanTarget

if TYPE_CHECKING:
    from casebook.accounts.models import User


@transaction.atomic
def plan_targets_load(
    *, fiscal_year: int, targets: Iterable[tuple[str, Decimal, str]], by: User | None
) -> tuple[int, int]:
    """Set the fiscal year's targets to `targets` ((metric, target, source) each): a target
    that exists takes the new value, a new one is created; nothing else changes. All or
    nothing: an unknown metric or a negative target refuses the whole list. Returns the
    numbers created and changed. `by` None is the command line (no login)."""
    if by is not None:
        policy.require_plan_editor(by)
    targets = list(targets)
    errors = []
    known = metrics.known()
    for index, (metric, target, _source) in enumerate(targets, start=1):
        if metric not in known:
            errors.append(
                _("line %(n)d: unknown metric %(metric)s") % {"n": index, "metric": metric}
            )
        if target < 0:
            errors.append(_("line %(n)d: a target is not negative") % {"n": index})
    if errors:
        raise ValidationError({"targets": errors})
    existing = {
        row.metric: row
        for row in PlanTarget.objects.select_for_update(no_key=True).filter(fiscal_year=fiscal_year)
    }
    created = changed = 0
    for metric, target, source in targets:
        row = existing.get(metric)
        if row is None:
            save_tracked(
                PlanTarget(fiscal_year=fiscal_year, metric=metric, target=target, source=source),
                by=by,
                reason=_("plan loaded"),
            )
            created += 1
        elif row.target != target or row.source != source:
            row.target, row.source = target, source
            save_tracked(row, by=by, update_fields=["target", "source"], reason=_("plan loaded"))
            changed += 1
    return created, changed


@transaction.atomic
def plan_targets_carry_over(*, from_year: int, to_year: int, by: User | None) -> tuple[int, int]:
    """The targets of `from_year` as the plan of `to_year` (the demo's plan for this year)."""
    rows = PlanTarget.objects.filter(fiscal_year=from_year).order_by("pk")
    return plan_targets_load(
        fiscal_year=to_year,
        targets=[(row.metric, row.target, row.source) for row in rows],
        by=by,
    )

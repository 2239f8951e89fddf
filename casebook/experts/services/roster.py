"""The expert roster: registration, edits and conflict-of-interest declarations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ActionNotPermitted, field_error
from casebook.common.japanese import corporate_number_problem, normalize_text, search_key
from casebook.common.models import delete_tracked, lock_current, raise_if_errors, save_tracked
from casebook.experts import policy
from casebook.experts.models import (
    ConflictDeclaration,
    ConflictRelation,
    Expert,
    Qualification,
    TechnicalField,
)
from casebook.intake.models import Topic

EXPERT_FIELDS = (
    "name",
    "name_kana",
    "affiliation",
    "qualifications",
    "specialties",
    "service_areas",
    "day_rate_yen",
    "max_days_per_fy",
    "registered_from",
    "registered_until",
    "active",
    "email",
    "phone",
    "user",
)


def specialty_codes() -> set[str]:
    return set(Topic.objects.values_list("code", flat=True)) | set(TechnicalField.values)


def _codes(value: Any, allowed: set[str], field: str, errors: dict) -> list[str]:
    codes = list(dict.fromkeys(normalize_text(v) for v in (value or []) if normalize_text(v)))
    unknown = sorted(set(codes) - allowed)
    if unknown:
        errors.setdefault(field, []).append(
            ValidationError(_("unknown codes: %s") % ", ".join(unknown), code="invalid_choice")
        )
    return codes


def _apply(expert: Expert, fields: dict[str, Any], errors: dict) -> list[str]:
    changed: list[str] = []
    for name, value in fields.items():
        if name not in EXPERT_FIELDS:
            raise TypeError(f"unknown expert field {name}")
        if name in ("name", "name_kana", "affiliation", "email", "phone"):
            value = normalize_text(value)
        elif name == "qualifications":
            value = _codes(value, set(Qualification.values), name, errors)
        elif name == "specialties":
            value = _codes(value, specialty_codes(), name, errors)
        elif name == "service_areas":
            value = list(dict.fromkeys(normalize_text(v) for v in value or [] if normalize_text(v)))
        elif name == "max_days_per_fy":
            value = Decimal(str(value))
            if (value * 2) % 1 != 0 or value < 0:
                errors.setdefault(name, []).append(
                    ValidationError(_("days must be in half-day steps"), code="half_day_steps")
                )
        setattr(expert, name, value)
        changed.append(name)
    if "name" in changed:
        expert.name_search = search_key(expert.name) + search_key(expert.name_kana)
        changed.append("name_search")
    if not expert.name:
        errors.setdefault("name", []).append(ValidationError(_("enter a name"), code="required"))
    if expert.user_id is not None:
        user_taken = Expert.objects.filter(user_id=expert.user_id).exclude(pk=expert.pk).exists()
        if user_taken:
            errors.setdefault("user", []).append(
                ValidationError(_("this login belongs to another expert"), code="unique")
            )
    return changed


@transaction.atomic
def expert_create(*, by: User, **fields: Any) -> Expert:
    policy.require_manage_roster(by)
    errors: dict[str, list[ValidationError]] = {}
    expert = Expert(registered_from=timezone.localdate())
    expert.name_kana = ""
    _apply(expert, fields, errors)
    expert.name_search = search_key(expert.name) + search_key(expert.name_kana)
    raise_if_errors(errors)
    save_tracked(expert, by=by)
    return expert


@transaction.atomic
def expert_update(
    *, expert: Expert, by: User, expected_version: int | None = None, **fields: Any
) -> Expert:
    policy.require_manage_roster(by)
    expert = lock_current(expert, expected_version)
    errors: dict[str, list[ValidationError]] = {}
    if "name_kana" in fields and "name" not in fields:
        fields["name"] = expert.name
    changed = _apply(expert, fields, errors)
    raise_if_errors(errors)
    save_tracked(expert, by=by, update_fields=changed)
    return expert


@transaction.atomic
def conflict_declare(
    *,
    expert: Expert,
    by: User,
    company_name: str,
    relation: str,
    corporate_number: str = "",
    note: str = "",
    declared_on: dt.date | None = None,
) -> ConflictDeclaration:
    if not policy.can_declare_conflicts(by, expert):
        raise ActionNotPermitted(
            _("only the expert or a keeper of the roster declares the expert's conflicts")
        )
    errors: dict[str, list[ValidationError]] = {}
    name = normalize_text(company_name)
    number = normalize_text(corporate_number)
    if not name:
        errors["company_name"] = [ValidationError(_("name the company"), code="required")]
    if number and corporate_number_problem(number):
        errors["corporate_number"] = [
            ValidationError(_("not a valid corporate number"), code="invalid")
        ]
    if relation not in ConflictRelation.values:
        errors["relation"] = [
            ValidationError(
                _("choose one of: %s") % ", ".join(ConflictRelation.values), code="invalid_choice"
            )
        ]
    raise_if_errors(errors)
    declaration = ConflictDeclaration(
        expert=expert,
        company_name=name,
        company_name_search=search_key(name),
        corporate_number=number,
        relation=relation,
        note=normalize_text(note),
        declared_on=declared_on or timezone.localdate(),
    )
    save_tracked(declaration, by=by)
    return declaration


@transaction.atomic
def conflict_withdraw(*, declaration: ConflictDeclaration, by: User, reason: str) -> None:
    if not policy.can_declare_conflicts(by, declaration.expert):
        raise ActionNotPermitted(
            _("only the expert or a keeper of the roster withdraws the expert's conflicts")
        )
    if not (reason or "").strip():
        raise field_error("reason", _("say why the declaration is withdrawn"), "required")
    delete_tracked(declaration, by=by, reason=reason.strip())

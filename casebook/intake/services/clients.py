"""Creating and editing clients: normalisation, 法人番号, size class, duplicates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ActionNotPermitted, ConflictError
from casebook.common.japanese import (
    corporate_number_problem,
    format_postal_code,
    normalize_text,
    phone_digits,
    search_key,
)
from casebook.common.models import ensure_version, raise_if_errors, save_tracked
from casebook.common.sme import SizeSector, size_class
from casebook.intake import policy
from casebook.intake.models import CLIENT_INPUT_FIELDS, Client, Industry

# The free-text fields (NFKC-normalised); the coded ones (kind, industry) are checked as codes.
_TEXT_FIELDS = {
    name
    for name in CLIENT_INPUT_FIELDS
    if isinstance(field := Client._meta.get_field(name), CharField) and not field.choices
}

_SECTORS: dict[str, SizeSector] = {
    Industry.I_WHOLESALE: SizeSector.WHOLESALE,
    Industry.I_RETAIL: SizeSector.RETAIL,
    Industry.M_EATING: SizeSector.RETAIL,
    **{code: SizeSector.SERVICES for code in ("G", "J", "K", "L", "M1", "N", "O", "P", "Q", "R")},
}


class PossibleDuplicateClient(ConflictError):
    code = "possible_duplicate"

    def __init__(self, candidates: list[Client]) -> None:
        self.candidates = candidates
        names = ", ".join(f"{c.name} (#{c.pk})" for c in candidates)
        super().__init__(_("a client with the same name and phone exists: %s") % names)


def size_sector(industry: str) -> SizeSector | None:
    if not industry:
        return None
    return _SECTORS.get(industry, SizeSector.OTHER)


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    for name in _TEXT_FIELDS & cleaned.keys():
        cleaned[name] = normalize_text(cleaned[name])
    if "corporate_number" in cleaned:
        cleaned["corporate_number"] = cleaned["corporate_number"].replace("-", "")
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
    return cleaned


def _validate(client: Client) -> None:
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if client.corporate_number:
        problem = corporate_number_problem(client.corporate_number)
        if problem == "length":
            add("corporate_number", _("a corporate number has exactly 13 digits"), "length")
        elif problem == "check_digit":
            add(
                "corporate_number",
                _("the check digit of this corporate number is wrong"),
                "check_digit",
            )
    if client.capital_yen is not None and client.capital_yen < 0:
        add("capital_yen", _("capital cannot be negative"), "min_value")
    if client.employees is not None and client.employees < 0:
        add("employees", _("employees cannot be negative"), "min_value")
    if client.postal_code:
        formatted = format_postal_code(client.postal_code)
        if formatted is None:
            add("postal_code", _("a postal code has the form NNN-NNNN"), "format")
        else:
            client.postal_code = formatted
    if not client.name:
        add("name", _("a client needs a name"), "required")
    raise_if_errors(errors)


def _derive(client: Client) -> None:
    client.name_search = search_key(client.name)
    client.name_kana_search = search_key(client.name_kana)
    client.phone_digits = phone_digits(client.phone)
    client.size_class = size_class(
        size_sector(client.industry), client.capital_yen, client.employees
    ).value


def _check_duplicates(client: Client, *, allow_duplicate: bool) -> None:
    if client.corporate_number:
        clash = Client.objects.filter(corporate_number=client.corporate_number).exclude(
            pk=client.pk
        )
        if clash.exists():
            raise ValidationError(
                {
                    "corporate_number": ValidationError(
                        _("another client already has this corporate number (#%(id)s)")
                        % {"id": clash.first().pk},
                        code="unique",
                    )
                }
            )
    if allow_duplicate or not client.phone_digits:
        return
    candidates = list(
        Client.objects.filter(name_search=client.name_search, phone_digits=client.phone_digits)
        .exclude(pk=client.pk)
        .order_by("pk")[:5]
    )
    if candidates:
        raise PossibleDuplicateClient(candidates)


def _require_may_register_clients(by: User) -> None:
    if not policy.desks_for_intake(by).exists():
        raise ActionNotPermitted(_("only desk staff or a manager register clients"))


@transaction.atomic
def client_create(*, by: User, allow_duplicate: bool = False, **fields: Any) -> Client:
    _require_may_register_clients(by)
    unknown = set(fields) - set(CLIENT_INPUT_FIELDS)
    if unknown:
        raise ValueError(f"not client fields: {sorted(unknown)}")
    client = Client(**_normalise(fields))
    _validate(client)
    _derive(client)
    _check_duplicates(client, allow_duplicate=allow_duplicate)
    save_tracked(client, by=by)
    return client


@transaction.atomic
def client_update(
    *,
    client: Client,
    by: User,
    expected_version: int | None,
    allow_duplicate: bool = True,
    **fields: Any,
) -> Client:
    _require_may_register_clients(by)
    unknown = set(fields) - set(CLIENT_INPUT_FIELDS)
    if unknown:
        raise ValueError(f"not client fields: {sorted(unknown)}")
    client = Client.objects.select_for_update().get(pk=client.pk)
    ensure_version(client, expected_version)
    for name, value in _normalise(fields).items():
        setattr(client, name, value)
    _validate(client)
    _derive(client)
    _check_duplicates(client, allow_duplicate=allow_duplicate)
    save_tracked(
        client,
        by=by,
        update_fields=[
            *fields,
            "postal_code",
            "name_search",
            "name_kana_search",
            "phone_digits",
            "size_class",
        ],
    )
    return client

"""Creating and editing clients: normalisation, 法人番号, size class, duplicates."""

from __future__ import annotations

from collections.abc import Callable
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
    postal_code_place,
    search_key,
)
from casebook.common.models import (
    delete_tracked,
    ensure_version,
    lock_current,
    raise_if_errors,
    save_tracked,
)
from casebook.common.sme import SizeSector, size_class
from casebook.intake import policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import CLIENT_INPUT_FIELDS, Case, Client, Industry
from casebook.intake.services.sessions import sessions_follow_cases

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


# A change of any of these checks the place against the postal code.
_PLACE_FIELDS = frozenset({"postal_code", "prefecture", "municipality"})


def _check_place(client: Client, add: Callable[[str, str, str], None]) -> None:
    """Fill a blank prefecture and municipality from the postal code; refuse an unknown code
    and a typed place that is not the code's (docs/rules.md, "Japanese conventions")."""
    place = postal_code_place(client.postal_code)
    if place is None:
        add(
            "postal_code",
            _("no place has the postal code %(code)s") % {"code": client.postal_code},
            "unknown",
        )
        return
    if not place.agrees_with(prefecture=client.prefecture, municipality=client.municipality):
        add(
            "postal_code",
            _("the postal code %(code)s is in %(place)s, not in %(typed)s")
            % {
                "code": client.postal_code,
                "place": place.label,
                "typed": f"{client.prefecture}{client.municipality}",
            },
            "place_mismatch",
        )
        return
    client.prefecture = client.prefecture or place.prefecture
    client.municipality = client.municipality or place.municipality


def _validate(client: Client, *, check_place: bool = True) -> None:
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
            if check_place:
                _check_place(client, add)
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


def _check_duplicates(
    client: Client, *, allow_duplicate: bool, keys_before: tuple[str, str] | None = None
) -> None:
    """The 法人番号 is unique; the same name and phone is a warning the user may override.

    An edit that leaves the name and the phone as they were (`keys_before`) raises no warning:
    it did not make this client look like another one.
    """
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
    if keys_before == (client.name_search, client.phone_digits):
        return
    candidates = list(
        Client.objects.filter(name_search=client.name_search, phone_digits=client.phone_digits)
        .exclude(pk=client.pk)
        .order_by("pk")[:5]
    )
    if candidates:
        raise PossibleDuplicateClient(candidates)


def _require_may_register_clients(by: User) -> None:
    if not policy.may_take_intakes(by):
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
    client = lock_current(client, expected_version)
    keys_before = (client.name_search, client.phone_digits)
    for name, value in _normalise(fields).items():
        setattr(client, name, value)
    # An edit that leaves the address alone is not refused for an address saved before the
    # check existed.
    _validate(client, check_place=bool(_PLACE_FIELDS & fields.keys()))
    _derive(client)
    _check_duplicates(client, allow_duplicate=allow_duplicate, keys_before=keys_before)
    save_tracked(
        client,
        by=by,
        update_fields=[
            *fields,
            *_PLACE_FIELDS,
            "name_search",
            "name_kana_search",
            "phone_digits",
            "size_class",
        ],
    )
    return client


@transaction.atomic
def client_merge(
    *,
    survivor: Client,
    absorbed: Client,
    by: User,
    expected_versions: tuple[int | None, int | None] = (None, None),
    reason: str = "",
) -> Client:
    """Merge `absorbed` into `survivor`: its cases, contacts and outcomes move, it goes.

    Both rows are locked (in id order, so two merges of the same pair cannot deadlock) and
    checked against the versions the user previewed. Every moved case gets a history row
    naming the merge; the absorbed client's last state stays in its history. Coordinators
    and managers merge, and only clients whose every case they may see (docs/rules.md,
    "Clients, cases and sessions").
    """
    policy.require_client_action(by, "merge")
    if survivor.pk == absorbed.pk:
        raise ValidationError(
            {"other": ValidationError(_("a client is not merged into itself"), code="same")}
        )
    # FOR NO KEY UPDATE: a transaction that holds one of these clients' cases checks its
    # foreign keys to the client (FOR KEY SHARE, at its commit), which a FOR UPDATE here
    # would block while this waits for that case below: a deadlock with every case merge,
    # session log or case edit of the two clients. The key is not changed until the
    # absorbed row goes, by when this holds every case of it.
    locked = {
        c.pk: c
        for c in Client.objects.select_for_update(no_key=True)
        .filter(pk__in=[survivor.pk, absorbed.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise ConflictError(_("one of the two clients no longer exists"), code="gone")
    survivor, absorbed = locked[survivor.pk], locked[absorbed.pk]
    ensure_version(survivor, expected_versions[0])
    ensure_version(absorbed, expected_versions[1])
    if not policy.sees_every_case_of(by, [survivor, absorbed]):
        raise ActionNotPermitted(str(policy.CLIENT_RULES["merge_unseen"]))
    filled = [
        name
        for name in CLIENT_INPUT_FIELDS
        if getattr(survivor, name) in ("", None) and getattr(absorbed, name) not in ("", None)
    ]
    for name in filled:
        # A 法人番号 moves too: the absorbed row is deleted before the survivor is saved.
        setattr(survivor, name, getattr(absorbed, name))
    if _PLACE_FIELDS & set(filled):
        # An address put together from both clients (a postal code from one, a town from the
        # other) passes the same postal-code check as a client edit, before anything moves.
        _validate(survivor)
        filled = list(dict.fromkeys([*filled, *_PLACE_FIELDS]))
    note = _("client #%(absorbed)s %(name)s merged into #%(survivor)s") % {
        "absorbed": absorbed.pk,
        "name": absorbed.name,
        "survivor": survivor.pk,
    } + (f": {reason.strip()}" if reason.strip() else "")
    # The cases' rows in id order, as every service that locks several cases takes them, with
    # the case lock's strength (`lock_case`): the merge changes their client, not their key.
    cases = list(
        Case.objects.select_for_update(no_key=True, of=("self",))
        .select_related("desk")
        .filter(client=absorbed)
        .order_by("pk")
    )
    for case in cases:
        case.client = survivor
        save_tracked(case, by=by, update_fields=["client"], reason=note)
        publish_case_event(case, "client_merged")
    sessions_follow_cases(cases=cases)
    has_primary = survivor.contacts.filter(is_primary=True).exists()
    for contact in absorbed.contacts.all():
        contact.client = survivor
        if has_primary:
            contact.is_primary = False
        save_tracked(contact, by=by, update_fields=["client", "is_primary"], reason=note)
    for outcome in absorbed.outcomes.all():
        outcome.client = survivor
        save_tracked(outcome, by=by, update_fields=["client"], reason=note)
    delete_tracked(absorbed, by=by, reason=note)
    _derive(survivor)
    save_tracked(
        survivor,
        by=by,
        update_fields=[*filled, "name_search", "name_kana_search", "phone_digits", "size_class"],
        reason=note,
    )
    return survivor

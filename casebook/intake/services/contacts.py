"""The people at a client (担当者): at most one primary contact per client."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ActionNotPermitted
from casebook.common.japanese import normalize_text
from casebook.common.models import lock_current, lock_row, raise_if_errors, save_tracked
from casebook.intake import policy
from casebook.intake.models import CONTACT_INPUT_FIELDS, Client, ClientContact

_TEXT_FIELDS = ("name", "name_kana", "title", "phone", "email")


def _require_may_edit(by: User) -> None:
    if not policy.can_edit_clients(by):
        raise ActionNotPermitted(str(policy.CLIENT_RULES["edit"]))


def _apply(contact: ClientContact, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - set(CONTACT_INPUT_FIELDS)
    if unknown:
        raise ValueError(f"not contact fields: {sorted(unknown)}")
    for name, value in fields.items():
        if name in _TEXT_FIELDS:
            value = normalize_text(value or "")
            if name == "email":
                value = value.lower()
        setattr(contact, name, value)
    if not contact.name:
        raise_if_errors({"name": [ValidationError(_("a contact needs a name"), code="required")]})
    return list(fields)


def _lock_client(client: Client) -> Client:
    """The client row locked: changes to its contacts serialise, so that two edits making
    two contacts primary at once end with one (the constraint is the last guard)."""
    return lock_row(Client, client.pk)


def _demote_other_primary(contact: ClientContact, *, by: User) -> None:
    others = ClientContact.objects.filter(client_id=contact.client_id, is_primary=True)
    if contact.pk:
        others = others.exclude(pk=contact.pk)
    for other in others:
        other.is_primary = False
        save_tracked(other, by=by, update_fields=["is_primary"], reason=_("primary changed"))


@transaction.atomic
def contact_create(*, client: Client, by: User, **fields: Any) -> ClientContact:
    _require_may_edit(by)
    client = _lock_client(client)
    contact = ClientContact(client=client)
    _apply(contact, fields)
    if contact.is_primary:
        _demote_other_primary(contact, by=by)
    save_tracked(contact, by=by)
    return contact


@transaction.atomic
def contact_update(
    *, contact: ClientContact, by: User, expected_version: int | None, **fields: Any
) -> ClientContact:
    _require_may_edit(by)
    _lock_client(contact.client)
    contact = lock_current(contact, expected_version)
    changed = _apply(contact, fields)
    if contact.is_primary:
        _demote_other_primary(contact, by=by)
    save_tracked(contact, by=by, update_fields=changed)
    return contact

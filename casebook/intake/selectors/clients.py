"""Reads of clients: the shared register, its search and the duplicate check at intake."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from casebook.accounts.models import User
from casebook.common.japanese import normalize_text, phone_digits, search_key
from casebook.intake import policy
from casebook.intake.models import Client


def client_list_for_user(*, user: User) -> QuerySet[Client]:
    """Client records are shared by every desk (search-or-create at intake needs them all);
    a login with no desk role and no organisation role sees none."""
    if not policy.is_staff_member(user):
        return Client.objects.none()
    return Client.objects.all()


def client_get_for_user(*, user: User, pk: Any) -> Client:
    """The client if `user` may see it, else 404."""
    try:
        return client_list_for_user(user=user).get(pk=pk)
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404("no such client") from None


def client_search(*, user: User, text: str) -> QuerySet[Client]:
    """Kanji, kana (hiragana = katakana), 法人番号 or phone; partial matches."""
    key = search_key(text)
    if not key:
        return client_list_for_user(user=user).none()
    condition = Q(name_search__contains=key) | Q(name_kana_search__contains=key)
    digits = phone_digits(text)
    if len(digits) >= 4:
        condition |= Q(phone_digits__contains=digits)
    if normalize_text(text).isdigit():
        condition |= Q(corporate_number__startswith=normalize_text(text))
    return client_list_for_user(user=user).filter(condition)


def client_duplicates(
    *, user: User, name: str, phone: str = "", corporate_number: str = ""
) -> QuerySet[Client]:
    """Existing clients an intake might be about to duplicate (same 法人番号, or name + phone)."""
    condition = Q(pk__in=[])
    number = normalize_text(corporate_number)
    if number:
        condition |= Q(corporate_number=number)
    digits = phone_digits(phone)
    if name and digits:
        condition |= Q(name_search=search_key(name), phone_digits=digits)
    return client_list_for_user(user=user).filter(condition)

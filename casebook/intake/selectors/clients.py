"""Reads of clients: the shared register, its search and the duplicate check at intake."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.extensions import registry
from casebook.common.japanese import normalize_text, phone_digits, search_key
from casebook.common.paging import Page, page_of
from casebook.common.prepared import PreparedRead, Word, is_row_id
from casebook.common.search import GRAM_LENGTH, among_ids, text_matches, uses_gram_index
from casebook.intake import policy
from casebook.intake.models import Client, ClientContact, ClientSearchGram


def client_list_for_user(*, user: User) -> QuerySet[Client]:
    """Client records are shared by every desk (search-or-create at intake needs them all);
    a login with no desk role and no organisation role sees none."""
    if not policy.is_staff_member(user):
        return Client.objects.none()
    return Client.objects.all()


# A client by its id, as `.get(pk=…)` reads it: a statement of fixed shape, compiled once
# (docs/performance.md, "My cases and the client page").
_client_by_id = PreparedRead(Client, lambda pk: Client.objects.filter(pk=pk).order_by()[:21])


def client_get_for_user(*, user: User, pk: Any) -> Client:
    """The client if `user` may see it, else 404."""
    if policy.is_staff_member(user) and is_row_id(pk):
        found = _client_by_id(pk)
        if len(found) == 1:
            return found[0]
        raise Http404("no such client")
    try:
        return client_list_for_user(user=user).get(pk=pk)
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404("no such client") from None


def _digit_ids(text: str) -> list[QuerySet[Client]]:
    """The ids of the clients whose phone holds the digits of `text` (four or more), and of
    those whose 法人番号 starts with them: one id set per column, each read through its own
    index."""
    found = []
    digits = phone_digits(text)
    if len(digits) >= 4:
        found.append(Client.objects.filter(phone_digits__contains=digits).values("pk").order_by())
    number = normalize_text(text).replace("-", "")
    if number.isdigit():
        found.append(
            Client.objects.filter(corporate_number__startswith=number).values("pk").order_by()
        )
    return found


# `Client.Meta.ordering` as the client grams' key holds it: their reading is the client's
# `name_kana_search`, their client id its id.
GRAM_ORDER = ("search_grams__reading", "search_grams__client_id")


def _one_gram(text: str) -> str | None:
    """The search key of `text` where it is one gram (one or two characters) and no digit
    branch applies, on PostgreSQL: its clients are then one range of the client grams'
    key (`ClientSearchGram`). Else None."""
    key = search_key(text)
    if uses_gram_index() and 0 < len(key) <= GRAM_LENGTH and not _digit_ids(text):
        return key
    return None


def client_ids_matching(text: str) -> QuerySet[Any]:
    """The ids of the clients whose name or reading holds `text` (kanji, or kana: hiragana =
    katakana), or whose phone holds its digits (four or more) or whose 法人番号 starts with
    them: a union of one id set per column, each read through its own index (an OR of them
    may be planned as a scan of every client; docs/performance.md, "Search"). A word of one
    or two characters is read from the client grams' key alone (no client row is read)."""
    gram = _one_gram(text)
    if gram is not None:
        return ClientSearchGram.objects.filter(gram=gram).values("client_id").order_by()
    found = [
        Client.objects.filter(text_matches("name", text)).values("pk").order_by(),
        Client.objects.filter(text_matches("name_kana", text)).values("pk").order_by(),
        *_digit_ids(text),
    ]
    return found[0].union(*found[1:])


def clients_matching(clients: QuerySet[Client], text: str) -> QuerySet[Client]:
    """Of `clients`, those `client_ids_matching` finds. The web search, the intake screen and
    the API's `q` all ask here."""
    if not search_key(text):
        return clients.none()
    gram = _one_gram(text)
    if gram is not None:
        # The clients of one gram are one range of the client grams' key. In the clients' own
        # order (`Client.Meta.ordering`), which is the key's (reading, id), the page is read
        # from the key and stops once it is full (docs/performance.md, "A short word's clients
        # in reading order"); a caller's other order sorts the gram's clients.
        found = clients.filter(search_grams__gram=gram)
        if not clients.query.order_by and clients.query.default_ordering:
            found = found.order_by(*GRAM_ORDER)
        return found
    # Fetched by id from the set built once: `IN (subquery)` was planned as a scan of every
    # client hashed against the set.
    return clients.filter(among_ids("pk", client_ids_matching(text)))


def client_search(*, user: User, text: str) -> QuerySet[Client]:
    """Kanji, kana (hiragana = katakana), 法人番号 or phone; partial matches."""
    return clients_matching(client_list_for_user(user=user), text)


# What a row of the web search's clients shows.
SEARCH_CLIENT_COLUMNS = ("id", "name", "name_kana", "corporate_number", "municipality")


def client_search_rows(*, user: User, text: str) -> QuerySet[Client]:
    """`client_search` as the web search lists it: rows of `SEARCH_CLIENT_COLUMNS` (dicts)."""
    return client_search(user=user, text=text).values(*SEARCH_CLIENT_COLUMNS)


def client_search_page(*, user: User, text: str, number: int, size: int) -> Page:
    """Page `number` of `client_search_rows` (`common.paging.page_of`). For a word of one or
    two characters the page's ids are first read from the client grams' key alone, the
    rows before the page skipped there, and then only the page's clients are read: a page
    deep in the list of 「中」 reads no client before it (docs/performance.md, "A short
    word's clients in reading order"). The first pages of such a word are a statement
    compiled once per login's facts, the word's length and the page, the word its parameter
    (docs/performance.md, "A one-gram word's search compiled once")."""
    gram = _one_gram(text)
    if gram is None:
        return page_of(client_search_rows(user=user, text=text), number=number, size=size)
    number = max(number, 1)
    start = (number - 1) * size
    if number > PREPARED_SEARCH_PAGES:
        rows = list(_one_gram_client_rows(user, gram, start, size))
    else:
        read = policy.per_viewer(
            user,
            ("client_search_page", str(len(gram)), str(number), str(size)),
            lambda: PreparedRead(
                Client,
                functools.partial(_one_gram_client_rows, user, start=start, size=size),
                args=(Word(len(gram)),),
            ),
        )
        rows = read(gram)
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)


# The pages of a one-gram word's search (its clients here, its cases in `cases`) compiled once
# per login's facts (the page's number is written into the statement); a later page is built
# and compiled per request.
PREPARED_SEARCH_PAGES = 5


def _one_gram_client_rows(user: User, gram: str, start: int, size: int) -> QuerySet[Client]:
    """The clients of `gram` from the `start`-th, one more than `size`, in the clients' own
    order: the ids read from the client grams' key, then those clients' rows."""
    ids = (
        ClientSearchGram.objects.filter(gram=gram)
        .order_by(*(name.removeprefix("search_grams__") for name in GRAM_ORDER))
        .values("client_id")[start : start + size + 1]
    )
    # The same rows as the join of `clients_matching`, sorted in the clients' own order.
    return (
        client_list_for_user(user=user)
        .filter(pk__in=ids)
        .order_by(*Client._meta.ordering)
        .values(*SEARCH_CLIENT_COLUMNS)
    )


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


# --- contacts -------------------------------------------------------------------------------


def contact_list_for_user(*, user: User, client: Client) -> QuerySet[ClientContact]:
    """The people at `client` (shared with the client record), the primary first."""
    if not policy.is_staff_member(user):
        return ClientContact.objects.none()
    return _contacts_of(client.pk)


def _contacts_of(client_id: int) -> QuerySet[ClientContact]:
    return ClientContact.objects.filter(client_id=client_id).order_by("-is_primary", "name", "id")


# A client's contacts: a statement of fixed shape, by the client's id, compiled once.
_contacts_by_client = PreparedRead(ClientContact, _contacts_of)


def contact_rows_for_user(*, user: User, client: Client) -> list[ClientContact]:
    """`contact_list_for_user`, read (the client page's list)."""
    if not policy.is_staff_member(user) or not isinstance(client.pk, int):
        return list(contact_list_for_user(user=user, client=client))
    return _contacts_by_client(client.pk)


def contact_get_for_user(*, user: User, client: Client, pk: Any) -> ClientContact:
    """One contact of `client`, else 404."""
    try:
        return contact_list_for_user(user=user, client=client).get(pk=pk)
    except (ClientContact.DoesNotExist, ValueError, TypeError):
        raise Http404("no such contact") from None


# --- merging --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergePreview:
    """What a merge of `absorbed` into `survivor` moves, counted for the confirmation page."""

    survivor: Client
    absorbed: Client
    cases: int
    sessions: int
    contacts: int
    outcomes: int
    unseen_cases: int  # cases of either client the reader may not see: the merge is refused
    filled: tuple[str, ...]  # the survivor's empty fields the absorbed client's values fill

    @property
    def filled_labels(self) -> list[str]:
        return [str(Client._meta.get_field(name).verbose_name) for name in self.filled]


def client_merge_preview(*, user: User, survivor: Client, absorbed: Client) -> MergePreview:
    from casebook.intake.models import CLIENT_INPUT_FIELDS, Case, ConsultationSession

    moving = Case.objects.filter(client=absorbed)
    visible = policy.visible_cases_q(user)
    both = Case.objects.filter(client__in=[survivor, absorbed])
    return MergePreview(
        survivor=survivor,
        absorbed=absorbed,
        cases=moving.count(),
        sessions=ConsultationSession.objects.filter(case__client=absorbed).count(),
        contacts=absorbed.contacts.count(),
        outcomes=absorbed.outcomes.count(),
        unseen_cases=both.exclude(visible).count() if visible else 0,
        filled=tuple(
            name
            for name in CLIENT_INPUT_FIELDS
            if getattr(survivor, name) in ("", None) and getattr(absorbed, name) not in ("", None)
        ),
    )


def client_personal_data(*, user: User, client: Client) -> dict[str, Any]:
    """Everything held about `client`, every app's records (the registry's personal-data
    sources), for the APPI disclosure (docs/security.md, "APPI"); managers only."""
    policy.require_client_action(user, "personal_data")
    return {
        "client_id": client.pk,
        "exported_at": timezone.now().isoformat(),
        "exported_by": user.get_username(),
        "sections": registry.personal_data(client),
    }


def personal_data_rows(document: dict[str, Any]) -> Iterator[list[Any]]:
    """The export as CSV rows: section, record number, field, value (a list as JSON)."""
    for section, records in document["sections"].items():
        for number, row in enumerate(records, start=1):
            for name, value in row.items():
                if isinstance(value, list | dict):
                    value = json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
                yield [section, number, name, value]

"""The grams a case is found by, one row per case (docs/performance.md, "Search")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from casebook.accounts.models import Desk
from casebook.common.lookups import OverlapsIds
from casebook.intake.models.cases import Case
from casebook.intake.models.clients import Client


class TextArrayField(models.Field):
    """A PostgreSQL `text[]`, read and written by SQL alone (the table is unmanaged)."""

    def db_type(self, connection: Any) -> str:
        return "text[]"


class IdArrayField(models.Field):
    """A PostgreSQL `bigint[]` of ids, read and written by SQL alone (the table is unmanaged)."""

    def db_type(self, connection: Any) -> str:
        return "bigint[]"


IdArrayField.register_lookup(OverlapsIds)


class CaseSearchGrams(models.Model):
    """The distinct grams (`common.search.search_grams`) of a case's title and of all its
    sessions' summaries, with the case's visibility columns, on PostgreSQL only: a search
    for a common word then reads one row per matching case instead of one per matching
    session, and filters them by the visibility rule without reading the cases.

    The table, its GIN index and the triggers that keep it are created by the migration
    `intake/0016_case_search_grams` (the opening month by `0018_case_search_opened_at`, the
    shared desks by `0032_case_search_grams_shared_desks`): PostgreSQL refreshes a case's row
    whenever its title, desk, lead, confidentiality, opening date, a share of it or a session
    of it (inserted, edited, moved to another case, deleted) changes, whoever writes. Django
    never writes it; other databases have no such table and search with LIKE.
    """

    case = models.OneToOneField(
        Case,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    grams = TextArrayField()
    # The case's columns that `intake.policy.visible_cases_q` reads, copied: the rule then
    # filters these rows as it filters cases, and a search never reads the cases it may not
    # show (docs/performance.md, "Search").
    desk = models.ForeignKey(
        Desk, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    lead_counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    confidentiality = models.CharField(max_length=16)
    # The month the case was opened (UTC, `{"YYYY-MM"}`), the GIN index's second column: a
    # search first reads the matches among the newest cases, and one index scan keeps the
    # word's rows of the window's months before any row is read (docs/performance.md,
    # "Search").
    opened_month = TextArrayField()
    # The distinct desks the case is shared with (`CaseShare`), in order, the index's fifth
    # column: a desk's shared matches are one more condition of the word's index scan
    # (docs/performance.md, "The shared cases' matches"). Kept by triggers on the shares.
    shared_desk_ids = IdArrayField()

    class Meta:
        managed = False
        db_table = "intake_case_search_grams"

    def __str__(self) -> str:
        return f"grams of case {self.case_id}"


class ClientSearchGram(models.Model):
    """One distinct gram (`common.search.search_grams`) of a client's name or reading, with a
    copy of the client's reading key and its id, on PostgreSQL only: the clients of a word of
    one or two characters are one range of the primary key `(gram, reading, client_id)`, in
    the clients' own order (`Client.Meta.ordering`), so a page of them stops reading once it
    is full (docs/performance.md, "Search", "A short word's clients in reading order").

    The table and the triggers that keep it are created by the migration
    `intake/0024_client_search_grams`: PostgreSQL adds, replaces or removes a client's rows
    whenever the client is inserted, its name, reading or reading key changes, or it is
    deleted, whoever writes. Django never writes it; other databases have no such table.
    """

    pk = models.CompositePrimaryKey("gram", "reading", "client")
    gram = models.TextField()
    # `Client.name_kana_search`, copied: a gram's rows ordered by it and the client id are
    # its clients in their own order (`Client.Meta.ordering`), read from the key.
    reading = models.CharField(max_length=200)
    client = models.ForeignKey(
        Client, on_delete=models.DO_NOTHING, db_constraint=False, related_name="search_grams"
    )

    class Meta:
        managed = False
        db_table = "intake_client_search_grams"

    def __str__(self) -> str:
        return f"gram {self.gram} of client {self.client_id}"

"""Reads of the API's own data: a login's API tokens, which only their owner sees."""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections, router
from django.db.models import Field, QuerySet
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import User
from casebook.api.models import ApiToken


def token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """`user`'s own tokens, newest first (served by the index on user and issue time)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def token_get_for_user(*, user: User, pk: Any) -> ApiToken:
    """One of `user`'s own tokens, else 404."""
    try:
        return token_list_for_user(user=user).get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("no such token") from None


def token_authenticate(*, key_hash: str) -> ApiToken | None:
    """The live token with this hash (not revoked, not expired, its login active), its user
    attached, or None.

    Every token request starts here, so the statement is written once per process rather
    than built through the ORM each time (about 2,200 Python calls, a third of an empty API
    read: docs/performance.md, "The fixed cost of an API request"). It is still executed on
    every request: a revoked token, an expired one or a deactivated login is refused by the
    next request."""
    alias = router.db_for_read(ApiToken)
    connection = connections[alias]
    read = _token_read(alias)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(read.sql, [key_hash, now, True])
        row = cursor.fetchone()
    if row is None:
        return None
    values = read.convert(row, connection)
    token = ApiToken.from_db(alias, read.token_names, values[: len(read.token_names)])
    token.user = User.from_db(alias, read.user_names, values[len(read.token_names) :])
    return token


class _TokenRead:
    """`SELECT <every token column>, <every user column> FROM token JOIN user WHERE <live>`
    and the converters the ORM applies to each column on this database."""

    def __init__(self, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        token_fields, user_fields = ApiToken._meta.concrete_fields, User._meta.concrete_fields
        self.token_names = [f.attname for f in token_fields]
        self.user_names = [f.attname for f in user_fields]
        columns = [("t", f) for f in token_fields] + [("u", f) for f in user_fields]

        def token(name: str) -> str:
            return f"t.{quote(ApiToken._meta.get_field(name).column)}"

        user_id = f"u.{quote(User._meta.pk.column)}"
        is_active = f"u.{quote(User._meta.get_field('is_active').column)}"
        self.sql = (
            f"SELECT {', '.join(f'{table}.{quote(f.column)}' for table, f in columns)} "
            f"FROM {quote(ApiToken._meta.db_table)} t "
            f"INNER JOIN {quote(User._meta.db_table)} u ON {user_id} = {token('user')} "
            f"WHERE {token('key_hash')} = %s AND {token('revoked_at')} IS NULL "
            f"AND {token('expires_at')} > %s AND {is_active} = %s"
        )
        # Only the columns that have any (on PostgreSQL, none of these; on SQLite, the
        # dates and the booleans), as the ORM's compiler applies them.
        self._converters = [
            (index, converters, field.get_col(table))
            for index, (table, field) in enumerate(columns)
            if (converters := _converters(field, table, connection))
        ]

    def convert(self, row: tuple[Any, ...], connection: Any) -> list[Any]:
        values = list(row)
        for index, converters, column in self._converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return values


def _converters(field: Field, table: str, connection: Any) -> list[Any]:
    column = field.get_col(table)
    return [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)]


@functools.cache
def _token_read(alias: str) -> _TokenRead:
    return _TokenRead(alias)

"""The inverted (GIN) indexes left out while a transaction writes rows by the hundred thousand,
and built once after its last row.

An inverted index takes each new row's entries into its pending list and merges that list
into the index whenever it fills: the search grams of a million session summaries and advice
texts, of every case title and client name, and the cases' kept search rows were merged
thousands of times over while the load generator wrote them. Building an index once from the
finished table sorts its entries in memory instead (docs/performance.md, "Bulk writes: the
search indexes built after the rows"): at a fifth of the decade the sessions' step went from
59 s to 21 s, and the two session indexes took 25 s to build.

The indexes are dropped inside the writer's transaction and created again from their own
definitions (`pg_get_indexdef`) before it commits, so the schema after the block is the one
before it, and a failure rolls the drop back with the rows. Until it commits, other
connections wait for the tables whose indexes were dropped (`DROP INDEX` locks its table):
this is for a writer that has the database to itself, such as `generate_load`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Every inverted index of the current schema that no constraint owns, with its definition.
_INVERTED_INDEXES = """
    SELECT i.relname, pg_get_indexdef(i.oid)
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_am am ON am.oid = i.relam
    WHERE am.amname = 'gin'
      AND t.relnamespace = current_schema()::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
    ORDER BY i.relname
"""

# The memory one index build may sort its entries in (PostgreSQL's default is 64 MB). Set for
# the writer's transaction only.
BUILD_MEMORY = "256MB"


def inverted_indexes(connection: Any) -> list[tuple[str, str]]:
    """(name, definition) of each inverted index of the schema; none outside PostgreSQL."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(_INVERTED_INDEXES)
        return [(name, definition) for name, definition in cursor.fetchall()]


@contextmanager
def inverted_indexes_built_after(
    connection: Any, *, progress: Callable[[str], None] | None = None
) -> Iterator[None]:
    """The schema's inverted indexes dropped for the block and built again after it, in the
    block's transaction; nothing is done outside PostgreSQL."""
    if not connection.in_atomic_block:
        raise RuntimeError("the indexes are rebuilt in the writer's transaction: atomic()")
    indexes = inverted_indexes(connection)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    if not indexes:
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        # A table with foreign key checks still pending (Django's keys are checked at commit)
        # cannot be indexed: they are checked now, as the commit would check them, and the
        # keys deferred again after the build.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [BUILD_MEMORY])
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if progress is not None:
        progress(
            f"search indexes: {len(indexes)} built in {time.monotonic() - started:.1f} s "
            f"({', '.join(name for name, _ in indexes)})"
        )

"""The report's case figures kept as cases and their transitions are written, on PostgreSQL:
the table, filled from every case, and the triggers on `intake_case` and
`intake_casetransition` that keep it (`casebook/reports/case_tallies.py`;
docs/performance.md, "The case figures kept as cases are written"). Other databases get
nothing: the report reads the cases there."""

from __future__ import annotations

from django.db import migrations

from casebook.reports import case_tallies


def create(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    case_tallies.create_table(connection)
    case_tallies.rebuild(connection)
    case_tallies.install(connection)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        case_tallies.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0030_case_grams_missing_planned_for_their_size"),
        ("reports", "0005_session_tallies_planned_for_their_size"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]

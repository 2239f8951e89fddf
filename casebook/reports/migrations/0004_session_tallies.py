"""The consultation report's counts kept as sessions are written, on PostgreSQL: three tables,
filled from every session, and the triggers on `intake_session_sets` that keep them
(`casebook/reports/tallies.py`; docs/performance.md, "The FY KPI report", "The year's counts
kept as sessions are written"). Other databases get nothing: the report counts the sessions
there.

The functions are installed from `casebook.reports.tallies`, the one definition that
`manage.py session_tallies --rebuild` installs again; the tables are this migration's.
"""

from __future__ import annotations

from django.db import migrations

from casebook.reports import tallies


def create(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    tallies.create_tables(connection)
    tallies.rebuild(connection)
    tallies.install(connection)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    tallies.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0027_case_grams_sessions_added_in_place"),
        ("reports", "0003_satisfaction_survey"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]

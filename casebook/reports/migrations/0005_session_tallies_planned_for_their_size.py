"""The report's counts of a statement that wrote many sessions are planned for its size
(`casebook/reports/tallies.py`, `BULK`; docs/performance.md, "Bulk writes: the refreshes
planned for their size"): the functions installed again from their one definition. The
counts themselves do not change."""

from __future__ import annotations

from django.db import migrations

from casebook.reports import tallies


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        tallies.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_session_tallies"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop, elidable=False),
    ]

"""Each session carries its case's desk and client (docs/performance.md, "The FY KPI report").

The columns are added empty and filled from the cases in one statement; the next migration
makes the desk required and adds the indexes, in its own transaction (PostgreSQL refuses to
alter a table with the foreign-key checks of this update still pending).
"""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE intake_consultationsession
   SET desk_id = intake_case.desk_id, client_id = intake_case.client_id
  FROM intake_case
 WHERE intake_case.id = intake_consultationsession.case_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("intake", "0013_search_grams"),
    ]

    operations = [
        migrations.AddField(
            model_name="consultationsession",
            name="desk",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.desk",
            ),
        ),
        migrations.AddField(
            model_name="consultationsession",
            name="client",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="intake.client",
            ),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop, elidable=False),
    ]

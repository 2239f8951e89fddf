"""The desk's foreign key on cases loses its own index: `(desk, status)` leads with the same
column and serves every reader of the desk alone, at two more buffers at most (docs/
performance.md, "What changed, and why each index").

Django drops the key's constraint, the index, and adds the constraint again (checked against
every case: a few seconds on a decade's cases).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_events"),
        ("intake", "0022_case_lead_counselor_without_own_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="desk",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="accounts.desk",
                verbose_name="desk",
            ),
        ),
    ]

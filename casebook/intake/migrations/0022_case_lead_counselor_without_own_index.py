"""The lead counselor's foreign key loses its own index: `case_lead_id (lead_counselor, id)`
leads with the same column and serves every reader of it (docs/performance.md, "What
changed, and why each index").

Django drops the key's constraint, the index, and adds the constraint again (checked against
every case: a few seconds on a decade's cases).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0021_session_case_confidentiality"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="lead_counselor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="led_cases",
                to=settings.AUTH_USER_MODEL,
                verbose_name="lead counselor",
            ),
        ),
    ]

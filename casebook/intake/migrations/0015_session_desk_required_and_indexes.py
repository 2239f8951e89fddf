"""The session's desk is required once filled; the date index covers the desk, client, mode
and office (a year's report counts read it alone), and a client's sessions are indexed by
date (docs/performance.md, "The FY KPI report")."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("intake", "0014_session_desk_client"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consultationsession",
            name="desk",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.desk",
            ),
        ),
        migrations.RemoveIndex(
            model_name="consultationsession",
            name="session_started_at_id",
        ),
        migrations.AddIndex(
            model_name="consultationsession",
            index=models.Index(
                fields=["started_at", "id"],
                include=["desk", "client", "mode", "office"],
                name="session_started_keys",
            ),
        ),
        migrations.AddIndex(
            model_name="consultationsession",
            index=models.Index(fields=["client", "started_at"], name="session_client_started"),
        ),
    ]

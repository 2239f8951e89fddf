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
            index=models.Index(fields=["desk", "started_at", "id"], name="session_desk_started"),
        ),
        migrations.AddIndex(
            model_name="consultationsession",
            index=models.Index(fields=["client", "started_at"], name="session_client_started"),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0002_reminder_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dispatch",
            index=models.Index(fields=["created_at", "id"], name="dispatch_created_at_id"),
        ),
    ]

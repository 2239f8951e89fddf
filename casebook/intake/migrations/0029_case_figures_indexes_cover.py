"""The cases' indexes by opening and by closing instant carry the columns the report's case
figures read, so that a year's cases are read from the index alone (docs/performance.md,
"The FY KPI report", "The case figures read from their indexes"). SQLite ignores the
included columns."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_events"),
        ("intake", "0028_bulk_refreshes_planned_for_their_size"),
        ("satellites", "0004_schedule_rule_day_lists"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_closed_at",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="case_opened_at_id",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["opened_at", "id"],
                include=("first_session_at", "desk"),
                name="case_opened_at_id",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["closed_at"],
                include=("id", "closure_reason", "desk"),
                name="case_closed_at",
            ),
        ),
    ]

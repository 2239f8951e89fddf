"""My cases reads the open cases a counselor leads, and the held ones due, in each list's
order, and stops at the page's end (docs/performance.md, "The stress shape")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0019_case_next_follow_up"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.F("lead_counselor"),
                models.Case(
                    models.When(priority="high", then=models.Value(0)),
                    models.When(priority="normal", then=models.Value(1)),
                    default=models.Value(2),
                    output_field=models.IntegerField(),
                ),
                models.F("opened_at"),
                models.F("id"),
                condition=models.Q(
                    ("status__in", ("intake", "assigned", "active", "dispatch", "on_hold"))
                ),
                name="case_open_by_lead_rank",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status", "on_hold")),
                fields=["lead_counselor", "resume_by", "id"],
                name="case_hold_by_lead",
            ),
        ),
    ]

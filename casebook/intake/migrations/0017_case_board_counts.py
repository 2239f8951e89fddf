"""The desk board's counts read from an index of the open cases that holds the columns of the
visibility rule (docs/performance.md, "The stress shape")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0016_case_search_grams"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("intake", "assigned", "active", "dispatch", "on_hold"))
                ),
                fields=["desk", "status", "confidentiality", "lead_counselor"],
                include=("id",),
                name="case_board_counts",
            ),
        ),
    ]

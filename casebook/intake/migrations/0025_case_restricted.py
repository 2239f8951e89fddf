"""The restricted cases indexed alone (docs/performance.md, "Every list on the decade")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0024_client_search_grams"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("confidentiality", "restricted")),
                fields=["id"],
                name="case_restricted",
            ),
        ),
    ]

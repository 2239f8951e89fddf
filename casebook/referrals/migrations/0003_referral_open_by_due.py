"""The open referrals indexed in the order of the desk board's overdue list
(docs/performance.md, "The stress shape")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0002_case_shares"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("status__in", ["acknowledged", "pending", "sent"])),
                fields=["due_on", "referred_at", "id"],
                name="referral_open_by_due",
            ),
        ),
    ]

"""The referral lists' orders indexed (docs/performance.md, "Every list on the decade")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0003_referral_open_by_due"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["referred_at", "id"], name="referral_referred_at_id"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["updated_at", "id"], name="referral_updated_at_id"),
        ),
    ]

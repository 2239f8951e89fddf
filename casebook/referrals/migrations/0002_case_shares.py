# Shares of a referring case's file move to intake's table of case shares (docs/rules.md,
# "Visibility"): one row per internal referral that shares the file and is still pending or
# accepted, named after the referral.

from django.db import migrations


def share_referred_files(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    CaseShare = apps.get_model("intake", "CaseShare")
    sharing = Referral.objects.filter(
        kind="internal", share_full_file=True, status__in=("pending", "accepted")
    ).values_list("pk", "from_case_id", "to_desk_id")
    CaseShare.objects.bulk_create(
        [
            CaseShare(case_id=case_id, desk_id=desk_id, source=f"referral:{pk}")
            for pk, case_id, desk_id in sharing.iterator(chunk_size=2000)
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


def unshare_referred_files(apps, schema_editor):
    """The way back: the shares named after a referral go (the referrals still say which
    files they share, and the forward step makes the shares again)."""
    apps.get_model("intake", "CaseShare").objects.filter(source__startswith="referral:").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0005_history_sets_and_case_shares"),
        ("referrals", "0001_initial"),
    ]

    operations = [migrations.RunPython(share_referred_files, unshare_referred_files)]

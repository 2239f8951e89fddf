"""The milestone templates of each exit path (data: the administrator edits them in the admin;
this seeds the first set, docs/exits.md)."""

from __future__ import annotations

from django.db import migrations

COMMON_START = [
    ("initial_diagnosis", "初期診断", 14, ""),
    ("financial_review", "財務状況の調査", 30, ""),
]
FOLLOW_UP = ("post_exit_follow_up", "事後フォロー・再チャレンジ支援", 365, "")
SUCCESSION = [
    *COMMON_START,
    ("partner_referral", "事業承継・引継ぎ支援センターへの引継ぎ", 45, ""),
    ("creditor_consultation", "金融機関・債権者との協議", 60, ""),
    ("guarantor_guideline", "経営者保証ガイドラインの申出", 90, ""),
    ("employee_arrangements", "従業員への説明・対応", 120, ""),
    ("execution", "承継の実行", 180, ""),
    FOLLOW_UP,
]
TEMPLATES = {
    "turnaround": [
        *COMMON_START,
        ("creditor_consultation", "金融機関・債権者との協議", 45, ""),
        ("partner_referral", "中小企業活性化協議会への引継ぎ", 60, ""),
        ("guarantor_guideline", "経営者保証ガイドラインの申出", 90, ""),
        ("execution", "経営改善計画の実行", 180, ""),
        FOLLOW_UP,
    ],
    "succession_family": SUCCESSION,
    "succession_employee": SUCCESSION,
    "succession_third_party": SUCCESSION,
    "orderly_closure": [
        *COMMON_START,
        ("creditor_consultation", "金融機関・債権者との協議", 45, ""),
        ("partner_referral", "支援機関・専門家への引継ぎ", 60, ""),
        ("guarantor_guideline", "経営者保証ガイドラインの申出", 75, ""),
        ("employee_arrangements", "従業員への説明・対応", 90, ""),
        ("dissolution_resolution", "解散決議", 120, ""),
        ("dissolution_registration", "解散登記", 134, "dissolution_registration"),
        ("creditor_notice", "官報公告・知れている債権者への催告", 140, ""),
        ("final_tax_return", "解散確定申告", 180, "final_tax_return"),
        ("debt_settlement", "債務の弁済・残余財産の分配", 210, "creditor_period"),
        ("liquidation_report", "決算報告の承認", 240, ""),
        ("completion_registration", "清算結了登記", 254, "completion_registration"),
        FOLLOW_UP,
    ],
}


def seed(apps, schema_editor):
    template = apps.get_model("exits", "MilestoneTemplate")
    for path, steps in TEMPLATES.items():
        for order, (code, name, days, statute) in enumerate(steps, start=1):
            template.objects.update_or_create(
                path=path,
                code=code,
                defaults={
                    "name": name,
                    "order": order * 10,
                    "due_after_days": days,
                    "statute": statute,
                },
            )


def unseed(apps, schema_editor):
    """The way back: the templates this seeded go, edited or not (the plans copied their
    milestones when they started, they do not point at the templates)."""
    template = apps.get_model("exits", "MilestoneTemplate")
    for path, steps in TEMPLATES.items():
        template.objects.filter(path=path, code__in=[code for code, *_rest in steps]).delete()


class Migration(migrations.Migration):
    dependencies = [("exits", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

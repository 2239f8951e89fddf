"""Each session carries its case's confidentiality, so that the sessions lists read the
visibility rule on the session row (docs/performance.md, "The small desk's sessions").

The column is added as `normal` for every session (PostgreSQL stores the default without
rewriting the table), then the sessions of the cases that are not `normal` (about one in
twenty) take their case's, in batches of case ids. The rule's lead branch reads the ids of a
counselor's cases from an index of their own.
"""

from django.db import migrations, models

# Cases per statement (the fill reads their ids, then writes their sessions).
BATCH = 20_000

FILL = """
UPDATE intake_consultationsession s SET case_confidentiality = c.confidentiality
FROM intake_case c
WHERE s.case_id = c.id AND c.confidentiality <> 'normal' AND c.id >= %s AND c.id < %s
"""


def fill_case_confidentiality(apps, schema_editor) -> None:
    Case = apps.get_model("intake", "Case")
    Session = apps.get_model("intake", "ConsultationSession")
    top = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    if top is None:
        return
    for start in range(1, top + 1, BATCH):
        end = start + BATCH
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FILL, (start, end))
            continue
        cases = (
            Case.objects.filter(pk__gte=start, pk__lt=end)
            .exclude(confidentiality="normal")
            .values_list("pk", "confidentiality")
        )
        by_level: dict = {}
        for pk, level in cases:
            by_level.setdefault(level, []).append(pk)
        for level, pks in by_level.items():
            for at in range(0, len(pks), 500):
                Session.objects.filter(case_id__in=pks[at : at + 500]).update(
                    case_confidentiality=level
                )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0020_my_cases_lead_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="consultationsession",
            name="case_confidentiality",
            field=models.CharField(
                choices=[
                    ("normal", "normal"),
                    ("confidential", "confidential"),
                    ("restricted", "restricted (exit team only)"),
                ],
                default="normal",
                editable=False,
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_case_confidentiality, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["lead_counselor", "id"], name="case_lead_id"),
        ),
    ]

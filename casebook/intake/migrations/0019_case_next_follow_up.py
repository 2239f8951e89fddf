"""The case carries its latest session's follow-up date, and my cases reads a counselor's
follow-ups due from an index of the open cases in that order (docs/performance.md, "The
stress shape")."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# Cases per statement: a batch's sessions (five a case on average) are read in one walk of
# `session_case_started`; only the cases whose latest session has a follow-up are written.
BATCH = 20_000

FILL = """
UPDATE intake_case c SET next_follow_up = latest.follow_up_on
FROM (
    SELECT DISTINCT ON (s.case_id) s.case_id, s.follow_up_on
    FROM intake_consultationsession s
    WHERE s.case_id >= %s AND s.case_id < %s
    ORDER BY s.case_id DESC, s.started_at DESC, s.id DESC
) latest
WHERE c.id = latest.case_id AND latest.follow_up_on IS NOT NULL AND c.id >= %s AND c.id < %s
"""


def fill_next_follow_up(apps, schema_editor) -> None:
    Case = apps.get_model("intake", "Case")
    Session = apps.get_model("intake", "ConsultationSession")
    top = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    if top is None:
        return
    for start in range(1, top + 1, BATCH):
        end = start + BATCH
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FILL, (start, end, start, end))
            continue
        latest = Session.objects.filter(case=OuterRef("pk")).order_by("-started_at", "-id")
        dates = (
            Case.objects.filter(pk__gte=start, pk__lt=end)
            .annotate(latest_follow_up=Subquery(latest.values("follow_up_on")[:1]))
            .filter(latest_follow_up__isnull=False)
            .values_list("pk", "latest_follow_up")
        )
        by_date: dict = {}
        for pk, day in dates:
            by_date.setdefault(day, []).append(pk)
        for day, pks in by_date.items():
            for at in range(0, len(pks), 500):
                Case.objects.filter(pk__in=pks[at : at + 500]).update(next_follow_up=day)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0018_case_search_opened_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="next_follow_up",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="follow-up date"
            ),
        ),
        migrations.RunPython(fill_next_follow_up, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("next_follow_up__isnull", False),
                    ("status__in", ("intake", "assigned", "active", "dispatch", "on_hold")),
                ),
                fields=["lead_counselor", "next_follow_up", "id"],
                name="case_open_follow_up",
            ),
        ),
    ]

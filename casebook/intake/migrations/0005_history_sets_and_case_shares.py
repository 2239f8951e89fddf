# The history of cases and sessions records their many-to-many sets in the history row itself
# (docs/architecture.md, "History"): the sets already recorded in the old tables are copied
# into the rows, then the tables go. Intake gets the table of case shares (docs/rules.md).

import django.db.models.deletion
from django.db import migrations, models

# (history model, set, old table model, its column of the history row, of the related key)
SETS = [
    ("HistoricalCase", "topics", "HistoricalCase_topics", "topic_id"),
    ("HistoricalCase", "co_counselors", "HistoricalCase_co_counselors", "user_id"),
    ("HistoricalConsultationSession", "counselors", "HistoricalConsultationSession_counselors", "user_id"),
    ("HistoricalConsultationSession", "topics", "HistoricalConsultationSession_topics", "topic_id"),
]


def copy_sets_into_rows(apps, schema_editor):
    for history_name, set_name, table_name, key in SETS:
        history = apps.get_model("intake", history_name)
        rows = apps.get_model("intake", table_name).objects.values_list("history_id", key)
        keys: dict[int, list] = {}
        for history_id, value in rows.iterator(chunk_size=2000):
            if value is not None:
                keys.setdefault(history_id, []).append(value)
        changed = []
        for record in history.objects.filter(pk__in=list(keys)).iterator(chunk_size=2000):
            setattr(record, set_name, sorted(keys[record.pk]))
            changed.append(record)
        history.objects.bulk_update(changed, [set_name], batch_size=500)


# The live link table of each set, and the old table's column naming the owner of the set.
LINKS = {
    ("HistoricalCase", "topics"): ("Case", "topics", "case_id"),
    ("HistoricalCase", "co_counselors"): ("Case", "co_counselors", "case_id"),
    ("HistoricalConsultationSession", "counselors"): (
        "ConsultationSession",
        "counselors",
        "consultationsession_id",
    ),
    ("HistoricalConsultationSession", "topics"): (
        "ConsultationSession",
        "topics",
        "consultationsession_id",
    ),
}


def copy_rows_into_sets(apps, schema_editor):
    """The way back: the sets recorded in the history rows go back into the old tables (the
    tables are there again, empty, when this runs). Each old row carries the id of the live
    link it recorded: the link's id while it still exists, 0 for a link removed since
    (simple_history reads the related keys only)."""
    for history_name, set_name, table_name, key in SETS:
        history = apps.get_model("intake", history_name)
        table = apps.get_model("intake", table_name)
        model_name, field_name, owner = LINKS[(history_name, set_name)]
        through = apps.get_model("intake", model_name)._meta.get_field(field_name).remote_field.through
        live = {
            (owner_id, value): link_id
            for link_id, owner_id, value in through.objects.values_list("pk", owner, key)
        }
        rows = []
        for history_id, owner_id, values in history.objects.values_list("pk", "id", set_name).iterator(
            chunk_size=2000
        ):
            for value in values or ():
                rows.append(
                    table(
                        id=live.get((owner_id, value), 0),
                        history_id=history_id,
                        **{owner: owner_id, key: value},
                    )
                )
        table.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("intake", "0004_reminder_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalcase",
            name="co_counselors",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="topics",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="historicalconsultationsession",
            name="counselors",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="historicalconsultationsession",
            name="topics",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(copy_sets_into_rows, copy_rows_into_sets),
        migrations.DeleteModel(name="HistoricalCase_co_counselors"),
        migrations.DeleteModel(name="HistoricalCase_topics"),
        migrations.DeleteModel(name="HistoricalConsultationSession_counselors"),
        migrations.DeleteModel(name="HistoricalConsultationSession_topics"),
        migrations.CreateModel(
            name="CaseShare",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(max_length=40)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="shares", to="intake.case")),
                ("desk", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.desk")),
            ],
            options={
                "indexes": [models.Index(fields=["desk", "case"], name="intake_case_desk_id_4024e6_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("source", "case", "desk"), name="unique_case_share")
                ],
            },
        ),
    ]

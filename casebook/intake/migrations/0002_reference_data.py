from django.db import migrations

from casebook.intake.reference import DESKS, TOPICS


def load(apps, schema_editor):
    Topic = apps.get_model("intake", "Topic")
    Desk = apps.get_model("accounts", "Desk")
    for order, (code, name) in enumerate(TOPICS):
        Topic.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})
    for order, (code, name, name_en, confidentiality) in enumerate(DESKS):
        Desk.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "default_confidentiality": confidentiality,
                "sort_order": order,
            },
        )


def unload(apps, schema_editor):
    """Take back the topics no case or session uses. The desks stay: they belong to accounts,
    whose memberships and other apps' rows point at them, and `load` finds them again."""
    Topic = apps.get_model("intake", "Topic")
    Topic.objects.filter(
        code__in=[code for code, _name in TOPICS], cases__isnull=True, sessions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]

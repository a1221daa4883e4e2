"""The standard care tags every county starts with; a county may add its own in the admin."""

from django.db import migrations

STANDARD = [
    ("living_alone_elderly", "独居老人", "Elderly living alone"),
    ("disabled", "残疾人", "Person with a disability"),
    ("dibao", "低保户", "Low-income household (dibao)"),
    ("left_behind_child", "留守儿童", "Left-behind child"),
    ("party_member_hardship", "困难党员", "Party member in hardship"),
    ("elderly_80_plus", "高龄老人", "Elderly aged 80+"),
]


def seed(apps, schema_editor):
    CareTag = apps.get_model("people", "CareTag")
    for code, name, name_en in STANDARD:
        CareTag.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

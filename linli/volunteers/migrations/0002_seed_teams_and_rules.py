"""The seed's three volunteer teams (党员/青年/巾帼), professional teams for the six deliveries, and the
default points rule (10 points per confirmed hour); all data the county can change in the admin."""

from django.db import migrations

TEAMS = [
    ("party_member", "党员志愿服务队", "Party-member volunteers", "core"),
    ("youth", "青年志愿服务队", "Youth volunteers", "core"),
    ("women", "巾帼志愿服务队", "Women volunteers", "core"),
    ("teachers", "教师志愿服务队", "Teacher volunteers", "professional"),
    ("doctors", "医生志愿服务队", "Doctor volunteers", "professional"),
    ("police", "民警志愿服务队", "Police volunteers", "professional"),
    ("lawyers", "律师志愿服务队", "Lawyer volunteers", "professional"),
    ("social_workers", "社工志愿服务队", "Social-worker volunteers", "professional"),
]


def seed(apps, schema_editor):
    Team, PointsRule = apps.get_model("volunteers", "Team"), apps.get_model("volunteers", "PointsRule")
    for i, (code, name, en, kind) in enumerate(TEAMS, start=1):
        Team.objects.update_or_create(code=code, defaults={"name": name, "name_en": en, "kind": kind, "order": i})
    PointsRule.objects.update_or_create(code="hour", defaults={"name": "志愿服务时长（每小时）", "points": 10,
                                                               "per_hour": True})
    PointsRule.objects.update_or_create(code="outstanding", defaults={"name": "优秀志愿者表彰", "points": 100,
                                                                      "per_hour": False})


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""The care tags a worker counts by (脱贫人口, 监测对象; the register keepers set them), the kinds of
workshop, and the default rules (no county: every county until it sets its own)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

TAGS = [
    ("tuopin", "脱贫人口", "Person lifted out of poverty"),
    ("jiance", "监测对象", "Monitored for relapse into poverty"),
]
KINDS = [
    ("factory", "厂房式", "Factory floor", False),
    ("home", "居家式", "Home-based piece work", True),
    ("other", "其他", "Other", False),
]


def seed(apps, schema_editor):
    CareTag = apps.get_model("people", "CareTag")
    for code, name, name_en in TAGS:
        CareTag.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    WorkshopKind = apps.get_model("workshops", "WorkshopKind")
    for code, name, name_en, home in KINDS:
        WorkshopKind.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "home_based": home})
    RuleSet = apps.get_model("workshops", "RuleSet")
    if not RuleSet.objects.filter(county__isnull=True).exists():
        RuleSet.objects.create(
            county=None, valid_from=dt.date(2021, 1, 1), min_poor_workers=5,
            insurance_min_per_worker_month=Decimal("15.00"), count_after_days=90,
            count_after_income=Decimal("5000.00"), stable_months=3, review_grace_months=6, year_start_month=10,
            pay_due_days=15, duplicate_minutes=10, sharp_drop_share=Decimal("0.50"), drop_lookback_months=3,
            ledger_retention_years=3, min_age=16,
            source="桂人社规〔2022〕8号; 渝人社 (stable ≥ 3 months); 保障农民工工资支付条例 (2020)")


class Migration(migrations.Migration):
    dependencies = [("workshops", "0001_initial"), ("people", "0002_seed_care_tags")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

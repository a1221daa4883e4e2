"""Re-label the hours that completed orders wrote as "added by staff": a record a case links to as its
service record was written by case_complete (or the demo) for that order, so it is from a resident's
order. Records not linked from a case are left as they are."""

from django.db import migrations


def relabel(apps, schema_editor):
    Case, ServiceRecord = apps.get_model("cases", "Case"), apps.get_model("volunteers", "ServiceRecord")
    linked = Case.objects.filter(kind="order", service_record__isnull=False).values("service_record_id")
    ServiceRecord.objects.filter(pk__in=linked, source="admin").update(source="order")


def unlabel(apps, schema_editor):
    Case, ServiceRecord = apps.get_model("cases", "Case"), apps.get_model("volunteers", "ServiceRecord")
    linked = Case.objects.filter(kind="order", service_record__isnull=False).values("service_record_id")
    ServiceRecord.objects.filter(pk__in=linked, source="order").update(source="admin")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_case_from_visit'),
        ('volunteers', '0003_servicerecord_source_order_classroom'),
    ]

    operations = [migrations.RunPython(relabel, unlabel)]

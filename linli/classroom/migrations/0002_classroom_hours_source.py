"""Re-label tutors' classroom hours written as "check-in and check-out": a record a roster entry links
to as its service record was written by tutor_check_out (or the demo) for that session. Records whose
roster entry is gone (the session was deleted) cannot be told apart and are left as they are."""

from django.db import migrations


def relabel(apps, schema_editor):
    RosterEntry, ServiceRecord = apps.get_model("classroom", "RosterEntry"), apps.get_model("volunteers", "ServiceRecord")
    linked = RosterEntry.objects.filter(service_record__isnull=False).values("service_record_id")
    ServiceRecord.objects.filter(pk__in=linked, source="checkin").update(source="classroom")


def unlabel(apps, schema_editor):
    RosterEntry, ServiceRecord = apps.get_model("classroom", "RosterEntry"), apps.get_model("volunteers", "ServiceRecord")
    linked = RosterEntry.objects.filter(service_record__isnull=False).values("service_record_id")
    ServiceRecord.objects.filter(pk__in=linked, source="classroom").update(source="checkin")


class Migration(migrations.Migration):

    dependencies = [
        ('classroom', '0001_initial'),
        ('volunteers', '0003_servicerecord_source_order_classroom'),
    ]

    operations = [migrations.RunPython(relabel, unlabel)]

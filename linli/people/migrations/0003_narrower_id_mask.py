"""Stored masks of ID-card numbers narrowed from first 4 + last 4 to first 4 + last 2 (core.masking)."""

from django.db import migrations


def narrow(apps, schema_editor):
    from linli.core.masking import remask

    Person = apps.get_model("people", "Person")
    for person in Person.objects.exclude(id_number_masked="").only("pk", "id_number_masked").iterator(chunk_size=2000):
        narrowed = remask(person.id_number_masked)
        if narrowed != person.id_number_masked:
            Person.objects.filter(pk=person.pk).update(id_number_masked=narrowed)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_seed_care_tags")]
    operations = [migrations.RunPython(narrow, migrations.RunPython.noop)]

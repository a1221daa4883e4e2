"""A registration carries its site's community (decision 0026): filled from occurrence → activity →
site in one UPDATE, then required and indexed with the id, so a community's registrations are read
through their own index instead of walking every registration of the county."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    Registration = apps.get_model("activities", "Registration")
    Occurrence = apps.get_model("activities", "Occurrence")
    if schema_editor.connection.vendor == "postgresql":
        reg, occ = Registration._meta.db_table, Occurrence._meta.db_table
        act = apps.get_model("activities", "Activity")._meta.db_table
        site = apps.get_model("places", "Site")._meta.db_table
        schema_editor.execute(
            f"UPDATE {reg} r SET division_id = s.division_id FROM {occ} o, {act} a, {site} s "
            f"WHERE o.id = r.occurrence_id AND a.id = o.activity_id AND s.id = a.site_id")
        return
    Registration.objects.update(division_id=models.Subquery(
        Occurrence.objects.filter(pk=models.OuterRef("occurrence_id")).values("activity__site__division_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("activities", "0004_activity_kind_and_reminders"),
        ("divisions", "0001_initial"),
        ("places", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="division",
            field=models.ForeignKey(db_index=False, editable=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="divisions.division", verbose_name="division"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="registration",
            name="division",
            field=models.ForeignKey(db_index=False, editable=False,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="divisions.division", verbose_name="division"),
        ),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(fields=["division", "id"], name="registration_division_id"),
        ),
    ]

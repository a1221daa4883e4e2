"""Hours say where they came from: a resident's order and a four-thirty classroom session join the
sources, and a certificate keeps its hours by source as they stood at issue."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('volunteers', '0002_seed_teams_and_rules'),
    ]

    operations = [
        migrations.AlterField(
            model_name='servicerecord',
            name='source',
            field=models.CharField(choices=[('checkin', 'Check-in and check-out'), ('admin', 'Added by staff'), ('reversal', 'Reversal'), ('order', "Resident's order"), ('classroom', 'Four-thirty classroom session')], max_length=10, verbose_name='source'),
        ),
        migrations.AddField(
            model_name='certificate',
            name='hours_by_source',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='hours by source'),
        ),
    ]

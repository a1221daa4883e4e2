# A booking may hold its room for an activity date (activities.services makes those through room_hold).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0003_seed_taxonomy'),
        ('places', '0003_booking_series_ordering'),
    ]

    operations = [
        migrations.AddField(
            model_name='booking',
            name='occurrence',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='bookings', to='activities.occurrence', verbose_name='activity date'),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'confirmed')), fields=('occurrence',), name='booking_one_hold_per_occurrence'),
        ),
    ]

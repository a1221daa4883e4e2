"""A city night talk is now an activity of its own kind. Each night talk recorded before, without an
activity date, gets one: a one-off night-talk activity at its community's station (else a center, else
any site) at the time it was held, so it is in the activity ledger and the calendar like the new ones.
Its room is left empty: a past date holds no room. Talks of a community without any site stay as they
were."""

import datetime as dt
import secrets

from django.db import migrations


def forwards(apps, schema_editor):
    NightTalk = apps.get_model("cases", "NightTalk")
    Activity = apps.get_model("activities", "Activity")
    Occurrence = apps.get_model("activities", "Occurrence")
    Platform = apps.get_model("activities", "Platform")
    Method = apps.get_model("activities", "Method")
    Site = apps.get_model("places", "Site")
    User = apps.get_model("accounts", "User")
    talks = list(NightTalk.objects.filter(occurrence__isnull=True).order_by("pk"))
    if not talks:
        return
    platform = Platform.objects.filter(code="theory_policy").first() or Platform.objects.order_by("pk").first()
    method = Method.objects.filter(code="interactive_review").first() or Method.objects.order_by("pk").first()
    fallback_user = User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.order_by("pk").first()
    if platform is None or method is None:
        return
    for talk in talks:
        sites = Site.objects.filter(division_id=talk.division_id)
        site = (sites.filter(practice_role="station").first() or sites.filter(is_neighborhood_center=True).first()
                or sites.order_by("pk").first())
        by = talk.recorded_by if talk.recorded_by_id else fallback_user
        if site is None or by is None:
            continue
        activity = Activity.objects.create(
            title=talk.title, kind="night_talk", description=talk.place, site=site, platform=platform, method=method,
            capacity=max(talk.attendees or 50, 1), recurrence="once", created_by=by)
        occ = Occurrence.objects.create(activity=activity, start=talk.held_at, end=talk.held_at + dt.timedelta(minutes=90),
                                        capacity=activity.capacity, checkin_token=secrets.token_urlsafe(18)[:24])
        talk.occurrence = occ
        talk.save(update_fields=["occurrence"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_order_hours_source"),
        ("activities", "0004_activity_kind_and_reminders"),
        ("places", "0004_booking_occurrence"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

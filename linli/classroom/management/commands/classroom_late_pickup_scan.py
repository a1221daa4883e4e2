from django.core.management.base import BaseCommand

from linli.classroom.services import late_pickup_scan


class Command(BaseCommand):
    help = ("Raise an alert (and notify guardian, tutors and staff) for every child still checked in after "
            "closing time; run every five minutes from cron or a systemd timer.")

    def handle(self, *args, **options):
        alerts = late_pickup_scan()
        self.stdout.write(f"{len(alerts)} late pick-up alerts raised")

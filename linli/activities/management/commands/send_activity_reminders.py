from django.core.management.base import BaseCommand

from linli.activities.services import registration_reminders_send


class Command(BaseCommand):
    help = "Remind residents of activities they signed up for, starting within 24 hours (once each); run from cron."

    def handle(self, *args, **options):
        self.stdout.write(f"{registration_reminders_send()} reminders sent")

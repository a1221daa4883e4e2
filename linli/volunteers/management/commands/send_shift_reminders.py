from django.core.management.base import BaseCommand

from linli.volunteers.services import shift_reminders_send


class Command(BaseCommand):
    help = "Remind volunteers of shifts starting within 48 hours (once each); run from cron."

    def handle(self, *args, **options):
        self.stdout.write(f"{shift_reminders_send()} reminders sent")

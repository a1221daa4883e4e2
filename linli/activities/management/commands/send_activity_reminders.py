from django.core.management.base import BaseCommand

from linli.activities.services import activity_reminders_send


class Command(BaseCommand):
    help = "Remind people with a seat of an activity starting within 24 hours (once per sign-up)."

    def handle(self, *args, **options):
        self.stdout.write(f"{activity_reminders_send()} reminders sent")

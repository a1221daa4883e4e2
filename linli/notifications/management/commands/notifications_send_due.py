from django.core.management.base import BaseCommand

from linli.notifications.services import deliveries_send_due


class Command(BaseCommand):
    help = ("Send every notification delivery whose time has come: retries after their backoff and messages "
            "held for quiet hours. The schedule runs it every minute.")

    def handle(self, *args, **options):
        self.stdout.write(f"{deliveries_send_due()} deliveries sent")

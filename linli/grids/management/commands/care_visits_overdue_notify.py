from django.core.management.base import BaseCommand

from linli.grids.services import care_visits_overdue_notify


class Command(BaseCommand):
    help = "Tell each grid worker of their overdue care visits (once a day). The schedule runs it each morning."

    def handle(self, *args, **options):
        self.stdout.write(f"{care_visits_overdue_notify()} grid workers told")

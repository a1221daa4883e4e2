from django.core.management.base import BaseCommand

from linli.cases.services import cases_overdue_notify


class Command(BaseCommand):
    help = "Tell each owner of overdue cases (once a day). The schedule runs it each morning."

    def handle(self, *args, **options):
        self.stdout.write(f"{cases_overdue_notify()} owners told")

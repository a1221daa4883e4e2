import time

from django.core.management.base import BaseCommand

from linli.core import rollups


class Command(BaseCommand):
    help = "Recompute every figures rollup (the job schedule runs linli.core.rollups.refresh_all)."

    def handle(self, *args, **options):
        t = time.monotonic()
        n = rollups.refresh_all()
        self.stdout.write(f"{n} scopes refreshed in {time.monotonic() - t:.1f} s")

from django.core.management.base import BaseCommand
from django.utils import timezone

from linli.activities.services import occurrence_holds_sync


class Command(BaseCommand):
    help = ("Make activity dates saved before dates held their rooms hold them now. Dates whose room is "
            "taken are listed, never forced; safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only; save nothing.")

    def handle(self, *args, dry_run=False, **options):
        held, conflicts = occurrence_holds_sync(dry_run=dry_run)
        verb = "would hold" if dry_run else "held"
        self.stdout.write(f"{held} activity dates {verb} their rooms; {len(conflicts)} could not:")
        for occ, reason in conflicts:
            when = timezone.localtime(occ.start)
            self.stdout.write(f"  occurrence {occ.pk} · {when:%Y-%m-%d %H:%M} · {occ.activity.title} · "
                              f"{occ.room}: {reason}")
        if conflicts:
            self.stdout.write("Change the time or room of those dates (or cancel the booking in the way), "
                              "then run this again.")

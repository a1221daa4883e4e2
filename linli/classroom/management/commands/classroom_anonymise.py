from django.core.management.base import BaseCommand

from linli.classroom.services import anonymise_expired, retention_days


class Command(BaseCommand):
    help = ("Anonymise the classroom records of children who left more than LINLI_CLASSROOM_RETENTION_DAYS "
            "ago (default 365): names, school, notes, pick-up persons and messages go; the figures stay. "
            "Run daily.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, dry_run=False, **options):
        n = anonymise_expired(dry_run=dry_run)
        verb = "would be anonymised" if dry_run else "anonymised"
        self.stdout.write(f"{n} enrollments {verb} (retention {retention_days()} days after leaving)")

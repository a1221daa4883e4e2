from django.core.management.base import BaseCommand
from django.utils import timezone

from linli.jobs import schedule, selectors
from linli.jobs.models import Job, ScheduleSlot


class Command(BaseCommand):
    help = "List the schedule (with entries that cannot run) and the recent background jobs."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20, help="how many recent jobs (default 20)")

    def handle(self, *args, limit=20, **options):
        now = timezone.now()
        items, problems = schedule.entries()
        self.stdout.write("Schedule (LINLI_SCHEDULE):")
        for entry in items:
            why = entry.problem()
            last = ScheduleSlot.objects.filter(name=entry.name).order_by("-slot").first()
            nxt = schedule.next_slot(entry, now)
            state = f"MISSING: {why}" if why else "ok"
            self.stdout.write(f"  {entry.name:<28} {entry.when():<28} {entry.task}")
            self.stdout.write(f"  {'':<28} last {self._at(last.slot if last else None)}, "
                              f"next {self._at(nxt)}, {state}")
        for p in problems:
            self.stdout.write(f"  UNREADABLE: {p}")
        figures = selectors.figures()
        self.stdout.write("\nJobs: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
        for job in Job.objects.order_by("-created_at", "-pk")[:limit]:
            err = f" · {job.error_message}" if job.error_key else ""
            self.stdout.write(f"  #{job.pk:<6} {job.status:<9} {job.progress:>3}% {job.attempts}x "
                              f"{self._at(job.created_at)} {job.task}{err}")

    @staticmethod
    def _at(when):
        return timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S") if when else "—"

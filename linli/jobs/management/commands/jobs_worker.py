import logging

from django.core.management.base import BaseCommand

from linli.jobs import worker


class Command(BaseCommand):
    help = ("Run a background-job worker: claim queued jobs, run them, retry the jobs of workers that died, "
            "fire the schedule. Run as many as you like, on as many machines as you like.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="stop when nothing is due")
        parser.add_argument("--name", help="worker name in the job records (default host:pid)")
        parser.add_argument("--exit-with-parent", action="store_true",
                            help="stop when the starting process ends (used by `linli demo`)")

    def handle(self, *args, once=False, name=None, exit_with_parent=False, **options):
        logging.getLogger("linli.jobs").setLevel(logging.INFO)
        ran = worker.work(name=name, once=once, exit_with_parent=exit_with_parent)
        if once:
            self.stdout.write(f"{ran} jobs run")

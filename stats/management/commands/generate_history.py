"""``python manage.py generate_history --issues N``: a year of the district's work, in bulk (``stats.history``)."""
import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from stats.history import PREFIX, history_clear, history_generate


class Command(BaseCommand):
    help = (
        "Fill the database with realistic history: issues filed over the past --days days (seasons, weekdays, "
        "busy grids, every channel) with their timelines, escalations, problem-list entries, assisting "
        "departments, deadline alerts, supervision items, accountability candidates and ratings, written in "
        "chunks of --batch issues (COPY on PostgreSQL). Generated accounts are named "
        f"'{PREFIX}…' and file every generated issue. --clear removes what earlier runs generated first (and only "
        "that: the demo accounts' issues stay); on PostgreSQL it empties the issue tables with TRUNCATE when every "
        "issue is generated, and otherwise deletes rows with session_replication_role = replica for its "
        "transaction, so that the events' append-only trigger lets them go (needs a superuser). "
        "Then the dashboard facts are rebuilt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--issues", type=int, required=True, help="how many issues to generate (0 with --clear)")
        parser.add_argument("--days", type=int, default=365, help="spread over this many days before --end "
                                                                   "(default %(default)s)")
        parser.add_argument("--seed", type=int, default=2020, help="random seed: the same seed, size and --end "
                                                                   "give the same history (default %(default)s)")
        parser.add_argument("--batch", type=int, default=50_000, help="issues per chunk, one transaction each "
                                                                      "(default %(default)s)")
        parser.add_argument("--end", type=datetime.fromisoformat, default=None,
                            help="the moment the history ends, ISO 8601 (default: now); issues still open then stay "
                                 "open")
        parser.add_argument("--clear", action="store_true", help="first remove the previously generated history")

    def handle(self, *args, issues, days, seed, batch, end, clear, **options):
        if issues < 0 or (issues == 0 and not clear):
            raise CommandError("--issues must be positive (or 0 with --clear).")
        if isinstance(end, str):  # call_command(end="…") passes the text as it is
            end = datetime.fromisoformat(end)
        if end is not None and timezone.is_naive(end):
            end = timezone.make_aware(end)
        bars = {}

        def progress(phase, done, total):
            bar = bars.get(phase)
            if bar is None:
                bar = bars[phase] = tqdm(total=total, desc=phase, unit=" issues" if phase == "issues" else "",
                                         file=self.stderr._out, leave=True, dynamic_ncols=True)
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        vendor = connection.vendor
        if clear:
            started = time.perf_counter()
            counts = history_clear(progress=progress)
            removed = ", ".join(f"{label} {count:,}" for label, count in counts.items() if count)
            self.stdout.write(f"cleared in {time.perf_counter() - started:.1f}s: {removed or 'nothing'}")
        if not issues:
            return
        try:
            summary = history_generate(issues=issues, days=days, seed=seed, batch=batch, end=end, progress=progress)
        except ValueError as refused:
            raise CommandError(str(refused)) from None
        for bar in bars.values():
            bar.close()
        self.stdout.write(f"written on {vendor}: " + ", ".join(f"{name} {count:,}"
                                                              for name, count in summary.counts.items()))
        self.stdout.write("phases: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in summary.phases.items()))
        self.stdout.write(self.style.SUCCESS(f"{summary.counts.get('issues', 0):,} issues generated in "
                                             f"{summary.phases['total']:.1f}s"))

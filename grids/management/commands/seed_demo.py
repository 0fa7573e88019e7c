import os

from django.core.management.base import BaseCommand

from grids.demo.seed import demo_district_seed

DEFAULT_PASSWORD = "jianhua-demo"


class Command(BaseCommand):
    help = "Load the demo Jianhua District (5 streets, 34 communities, 840 grids, staff, demo accounts). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD,
            help="password of every demo account (default: $DEMO_PASSWORD, else %(default)s)",
        )
        # Read by the issues app's demo extension (grids does not know about intake clients).
        parser.add_argument(
            "--open311-key",
            default=os.environ.get("DEMO_OPEN311_KEY") or None,
            help="API key of the demo Open311 client (default: $DEMO_OPEN311_KEY, else jianhua-demo-open311)",
        )

    def handle(self, *args, password, **options):
        summary = demo_district_seed(password=password, options=options,
                                     progress=lambda message: self.stdout.write(message))
        self.stdout.write(self.style.SUCCESS(
            f"建华区: {summary.streets} streets, {summary.communities} communities, {summary.grids} grids, "
            f"{summary.departments} departments, {summary.staff} grid staff"
        ))
        self.stdout.write(f"Demo accounts (password: {password}):")
        for username, role, area in summary.demo_accounts:
            self.stdout.write(f"  {username:<17} {role:<24} {area}")
        for line in summary.extra_lines:
            self.stdout.write(line)

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from grids.models import Community, Grid, Street
from grids.posters import grid_posters_pdf
from grids.selectors import grid_poster_list


class Command(BaseCommand):
    help = ("Write the QR posters (扫码吹哨) of streets, communities or single grids to one PDF: an A4 page "
            "a grid, in code order. The codes hold SITE_URL, which must be the site's public address.")

    def add_arguments(self, parser):
        for option, area in (("--street", "street"), ("--community", "community"), ("--grid", "grid")):
            parser.add_argument(option, action="append", default=[], metavar="CODE",
                                help=f"every grid of this {area} (repeatable)" if area != "grid"
                                else "this grid (repeatable)")
        parser.add_argument("--all", dest="every_grid", action="store_true", help="every grid of the district")
        parser.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="the PDF to write")

    def handle(self, *args, street, community, grid, every_grid, output, **options):
        if not (street or community or grid or every_grid):
            raise CommandError("Name what to print: --street, --community or --grid CODE, or --all.")
        for model, codes in ((Street, street), (Community, community), (Grid, grid)):
            unknown = sorted(set(codes) - set(model.objects.filter(code__in=codes).values_list("code", flat=True)))
            if unknown:
                raise CommandError(f"No {model._meta.model_name} has the code {', '.join(unknown)}.")
        wanted = Q() if every_grid else (
            Q(community__street__code__in=street) | Q(community__code__in=community) | Q(code__in=grid))
        grids = list(grid_poster_list(Grid.objects.filter(wanted)))
        if not grids:
            raise CommandError("The areas named hold no grid to print.")
        path = Path(output)
        path.write_bytes(grid_posters_pdf(grids))
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(grids)} pages (one poster a grid) to {path}."))

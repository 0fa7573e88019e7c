"""The public pages of the grid posters: the short link in the QR code, the poster and the bare code."""
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import posters, selectors
from .models import Grid


def _unknown(code):
    return Http404(_("No grid has the code %(code)s.") % {"code": code})


@require_GET
def grid_short_link(request, code):
    """/g/<code>, what a poster's QR code holds: the filing page, opened on the grid (signing in first
    when needed: the sign-in page's ``next`` keeps the grid)."""
    if not Grid.objects.filter(code=code).exists():
        raise _unknown(code)
    # By the page's name: grids imports no app above it.
    return redirect(f"{reverse('issues:whistle-new')}?{urlencode({'grid': code})}")


@require_GET
def grid_poster(request, code):
    """The grid's A4 poster, to open and print."""
    grid = selectors.grid_poster_list(Grid.objects.filter(code=code)).first()
    if grid is None:
        raise _unknown(code)
    response = HttpResponse(posters.grid_posters_pdf([grid]), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"poster-{grid.code}.pdf")
    return response


@require_GET
def grid_qr(request, code):
    """The grid's bare QR code, for a notice or a leaflet of the community's own."""
    if not Grid.objects.filter(code=code).exists():
        raise _unknown(code)
    response = HttpResponse(posters.grid_qr_png(code), content_type="image/png")
    response["Content-Disposition"] = content_disposition_header(False, f"qr-{code}.png")
    return response


def posters_response(grids, *, filename: str) -> HttpResponse:
    """Many grids' posters as one PDF download (the admin's action); grids as grid_poster_list gives them."""
    response = HttpResponse(posters.grid_posters_pdf(grids), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response

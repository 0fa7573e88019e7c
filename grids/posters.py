"""The grid posters (扫码吹哨): each grid's QR code and the A4 poster around it, for notice boards.

The QR code holds a short link under ``SITE_URL``, ``/g/<grid code>``, which opens the filing page on
that grid. The link names the grid by its stable code, never by a place, so a printed poster keeps
working through every boundary edit. Chinese is set in reportlab's built-in CID font STSong-Light,
which PDF readers supply themselves: no font file is shipped or downloaded.

The posters are printed in the site's language (``LANGUAGE_CODE``, Chinese) whoever asks for them:
they are read on a notice board, not on the screen of the person who printed them.
"""
import functools
import io
import re
from collections.abc import Iterable

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm, mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from .models import Grid

FONT = "STSong-Light"
# Level Q: a quarter of the code may be lost to dirt, tape or a pin on the notice board.
QR_ERROR = "q"
# qr.png: 20 pixels a module, about 900 px for the short link – 7.5 cm at 300 dpi.
QR_PNG_SCALE = 20
# In the PDF, printed 12 cm wide: 8 pixels a module keep its edges sharp even in readers that smooth images.
QR_PDF_SCALE = 8
QR_PRINTED_SIZE = 12 * cm

RED = HexColor("#b71c1c")
INK = HexColor("#212121")
MUTED = HexColor("#616161")


def grid_short_link(code: str) -> str:
    """The address in a grid's QR code: ``SITE_URL`` + ``/g/<code>``. ``SITE_URL`` must be the public
    address that residents' phones reach."""
    return settings.SITE_URL.rstrip("/") + reverse("grid-short-link", args=[code])


def grid_qr_png(code: str, *, scale: int = QR_PNG_SCALE) -> bytes:
    """The grid's QR code as a black-and-white PNG with its quiet zone, ``scale`` pixels a module."""
    output = io.BytesIO()
    _qr(code).save(output, kind="png", scale=scale)
    return output.getvalue()


def _qr(code: str) -> segno.QRCode:
    return segno.make_qr(grid_short_link(code), error=QR_ERROR)


def grid_posters_pdf(grids: Iterable[Grid], *, language: str | None = None) -> bytes:
    """One A4 PDF with a poster a page for each grid, in the order given. Each grid comes with its
    community and street loaded and ``leader_name`` annotated, as ``selectors.grid_poster_list``
    gives them, so that a page costs no query. ValueError for no grids at all: an empty PDF would
    print as a blank page."""
    _register_font()
    output = io.BytesIO()
    pdf = Canvas(output, pagesize=A4, pageCompression=1)
    pages = 0
    with translation.override(language or settings.LANGUAGE_CODE):
        pdf.setTitle(_("Grid posters: scan to blow the whistle"))
        pdf.setAuthor(settings.SITE_URL)
        for grid in grids:
            _draw_poster(pdf, grid)
            pdf.showPage()
            pages += 1
    if not pages:
        raise ValueError("no grids to print")
    pdf.save()
    return output.getvalue()


@functools.cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _draw_poster(pdf: Canvas, grid: Grid) -> None:
    width, height = A4
    margin = 20 * mm
    text_width = width - 2 * margin
    centre = width / 2

    # The headline on a red band, as wide as it can be.
    band = 45 * mm
    pdf.setFillColor(RED)
    pdf.rect(0, height - band, width, band, stroke=0, fill=1)
    headline = _("Scan to blow the whistle")
    pdf.setFillColor(white)
    size = _fitting_size(headline, 76, text_width)
    pdf.setFont(FONT, size)
    pdf.drawCentredString(centre, height - band / 2 - size * 0.35, headline)

    y = height - band - 14 * mm
    pdf.setFillColor(INK)
    y = _draw_lines(pdf, _(
        "Rubbish piling up, a broken street light, a blocked fire lane? Scan the code with your phone "
        "and tell your grid."), y=y, size=17, centre=centre, width=text_width)

    y -= 9 * mm
    pdf.setFillColor(RED)
    size = _fitting_size(grid.name, 30, text_width)
    pdf.setFont(FONT, size)
    pdf.drawCentredString(centre, y, grid.name)
    y -= 11 * mm
    community = grid.community
    leader = grid.leader_name or _("to be appointed")
    facts = [
        _("Grid code: %(code)s") % {"code": grid.code},
        _("Community: %(community)s (%(street)s)") % {"community": community.name, "street": community.street.name},
        _("Grid leader: %(name)s") % {"name": leader},
    ]
    if community.phone:
        facts.append(_("Community phone: %(phone)s") % {"phone": community.phone})
    pdf.setFillColor(INK)
    for fact in facts:
        y = _draw_lines(pdf, fact, y=y, size=15, centre=centre, width=text_width, leading=8 * mm)

    # The code, as large as the space left allows, and its link in words for those who type it.
    size = min(QR_PRINTED_SIZE, y - 42 * mm)
    y -= size + 2 * mm
    pdf.drawImage(_qr_image(grid.code), centre - size / 2, y, width=size, height=size)
    pdf.setFillColor(INK)
    link = grid_short_link(grid.code)
    pdf.setFont(FONT, _fitting_size(link, 14, text_width))
    pdf.drawCentredString(centre, y - 4 * mm, link)

    pdf.setFillColor(MUTED)
    _draw_lines(pdf, _(
        "Mark the place on the map, say what is wrong and send it; you get a tracking number to follow it."),
        y=27 * mm, size=11, centre=centre, width=text_width)
    pdf.setFillColor(RED)
    pdf.setFont(FONT, 15)
    pdf.drawCentredString(centre, 14 * mm, _("You blow the whistle, we report for duty."))


def _qr_image(code: str) -> ImageReader:
    # Grey, not RGB: the page stores a third of the bytes.
    return ImageReader(Image.open(io.BytesIO(grid_qr_png(code, scale=QR_PDF_SCALE))).convert("L"))


def _fitting_size(text: str, size: float, width: float) -> float:
    """``size``, or smaller so that ``text`` fits in ``width`` on one line."""
    return min(size, size * width / max(pdfmetrics.stringWidth(text, FONT, size), 1))


# Chinese breaks between any two characters; other words only at spaces.
_BREAKABLE = re.compile(r"[^\s\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]+\s*|\s+|.")


def _draw_lines(pdf: Canvas, text: str, *, y: float, size: float, centre: float, width: float,
                leading: float | None = None) -> float:
    """Draw ``text`` centred, wrapped to ``width``, the first line at ``y``; the y of the next line."""
    pdf.setFont(FONT, size)
    leading = leading or size * 1.45
    lines, line = [], ""
    for piece in _BREAKABLE.findall(text):
        if line and pdfmetrics.stringWidth((line + piece).rstrip(), FONT, size) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    lines.append(line.rstrip())
    for line in lines:
        pdf.drawCentredString(centre, y, line)
        y -= leading
    return y

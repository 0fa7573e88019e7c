"""Tables as downloads: CSV (streamed, with a byte order mark for Excel on a Chinese Windows) and .xlsx
(openpyxl's write-only mode: bold frozen header, column widths, real dates in Asia/Shanghai, an
autofilter). The problem lists, the supervision and accountability lists and the monthly evaluation
all export through here; each names its columns once.

Every text cell that a spreadsheet would read as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return – a resident's title ``=HYPERLINK("http://…")`` say) is neutralised, as OWASP's
"CSV injection" advice has it: in CSV it gets a leading apostrophe; in .xlsx it is stored as a string
cell marked "quote prefix", so Excel and WPS show the text as typed and never evaluate it."""
import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import get_language

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CSV_TIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_IN_MEMORY_BYTES = 4 * 1024 * 1024
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """A text a spreadsheet would take for a formula (numbers and dates are left as they are)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_safe(value):
    """The value for a CSV cell: formula-like text gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


@dataclass(frozen=True)
class Column:
    header: object  # a lazy translation: the header follows the active language
    value: Callable  # row → value
    width: int = 12  # characters, for the spreadsheet
    is_time: bool = False
    number_format: str = ""  # e.g. "0.0%" for a rate given as a fraction


def local_naive(moment):
    """Asia/Shanghai wall-clock time without tzinfo: what a spreadsheet cell holds."""
    return timezone.localtime(moment, timezone.get_default_timezone()).replace(tzinfo=None) if moment else None


def csv_chunks(columns: Sequence[Column], rows: Iterable) -> Iterator[str]:
    """The CSV a line at a time, in the language active now (kept for a streaming response, which is
    read after the view returned)."""
    return _csv_lines(columns, rows, get_language())


def _csv_lines(columns, rows, language) -> Iterator[str]:
    class Line:
        def write(self, text):
            return text

    writer = csv.writer(Line())
    with translation.override(language):
        yield "\ufeff" + writer.writerow([csv_safe(str(column.header)) for column in columns])
        for row in rows:
            values = []
            for column in columns:
                value = column.value(row)
                if column.is_time:
                    value = local_naive(value).strftime(CSV_TIME_FORMAT) if value else ""
                values.append("" if value is None else csv_safe(value))
            yield writer.writerow(values)


def write_xlsx(columns: Sequence[Column], rows: Iterable, file, *, title: str = "") -> None:
    """Write the rows as an .xlsx workbook to a binary file, one row in memory at a time."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 1
    for row in rows:
        values = []
        for column in columns:
            value = column.value(row)
            if column.is_time:
                value = local_naive(value)
            if column.is_time or column.number_format:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = XLSX_TIME_FORMAT if column.is_time else column.number_format
                value = cell
            elif is_formula_like(value):
                value = _text_cell(sheet, value)
            values.append(value)
        sheet.append(values)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count}"
    book.save(file)


def _text_cell(sheet, text):
    # openpyxl stores any string that begins with "=" as a formula: force a string cell, quote-prefixed
    # so that editing the cell in Excel keeps it text.
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def sheet_title(title: str) -> str:
    # Excel refuses these characters in a sheet's name, and names longer than 31 characters.
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"


def download(columns: Sequence[Column], rows: Iterable, export: str, *, filename: str, fallback: str,
             title: str = ""):
    """A CSV (streamed) or .xlsx (spooled, to disk beyond a few megabytes) attachment of the rows."""
    if export == "csv":
        chunks = csv_chunks(columns, rows)
        response = StreamingHttpResponse((chunk.encode("utf-8") for chunk in chunks),
                                         content_type=CONTENT_TYPES["csv"])
    else:
        spool = tempfile.SpooledTemporaryFile(max_size=XLSX_IN_MEMORY_BYTES)
        write_xlsx(columns, rows, spool, title=title)
        spool.seek(0)
        response = FileResponse(spool, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = content_disposition(filename, fallback)
    response["Cache-Control"] = "private, no-store"
    return response


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment with a UTF-8 name (RFC 6266 / 5987) and a plain ASCII name for old clients."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"

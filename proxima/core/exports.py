"""CSV and XLSX export of any list, streamed so a long list costs no memory.

CSV uses ``;`` and a UTF-8 byte-order mark so that Excel in French opens it correctly.
"""

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportColumn:
    header: str
    value: Callable[[object], object]


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    return value


def _csv_text(value) -> str:
    value = _cell(value)
    if isinstance(value, Decimal | float):
        return str(value).replace(".", ",")  # French spreadsheets read a decimal comma
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    # Cells starting with these characters would run as formulas in a spreadsheet (CSV injection, OWASP).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def export_response(fmt: str, filename: str, columns: list[ExportColumn], rows: Iterable):
    """Return the rows as a downloadable CSV or XLSX file named ``filename.<fmt>``."""
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=2000)  # stream from the database too, not only to the client
    if fmt == "csv":
        writer = csv.writer(_Echo(), delimiter=";")

        def lines():
            yield "\ufeff" + writer.writerow([c.header for c in columns])
            for row in rows:
                yield writer.writerow([_csv_text(c.value(row)) for c in columns])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=filename[:31])
        sheet.append([c.header for c in columns])
        for row in rows:
            cells = []
            for column in columns:
                value = _cell(column.value(row))
                if isinstance(value, str) and value.startswith("="):
                    value = "'" + value  # never write a formula from data
                cells.append(value)
            sheet.append(cells)
        # FileResponse closes the file once sent.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        workbook.save(spool)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=f"{filename}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return HttpResponseBadRequest("Format d'export inconnu : csv ou xlsx.")

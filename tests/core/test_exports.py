"""CSV and XLSX exports, called directly: no request, no database."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import StreamingHttpResponse

from proxima.core.exports import ExportColumn, export_response

COLUMNS = [
    ExportColumn("nom", lambda r: r["name"]),
    ExportColumn("montant (€)", lambda r: r["amount"]),
    ExportColumn("date d'entrée", lambda r: r["date"]),
    ExportColumn("voiture", lambda r: r["car"]),
]
ROWS = [
    {"name": "Martin", "amount": Decimal("1234.5"), "date": dt.date(2021, 3, 15), "car": True},
    {"name": "Dubois", "amount": None, "date": None, "car": False},
]


def csv_bytes(rows, columns=COLUMNS):
    response = export_response("csv", "menages", columns, rows)
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def csv_rows(rows, columns=COLUMNS):
    text = csv_bytes(rows, columns).decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def one_cell(value):
    """The CSV text of one value."""
    return csv_rows([{"v": value}], [ExportColumn("v", lambda r: r["v"])])[1][0]


def xlsx_sheet(rows, columns=COLUMNS, filename="menages"):
    response = export_response("xlsx", filename, columns, rows)
    content = b"".join(response.streaming_content)
    # Not response.close(): it sends request_finished, which touches the database connection.
    response.file_to_stream.close()
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


class TestCsv:
    def test_starts_with_a_byte_order_mark(self):
        """A UTF-8 BOM makes Excel read the accents correctly."""
        content = csv_bytes(ROWS)
        assert content.startswith(b"\xef\xbb\xbf")
        assert content.decode("utf-8").count("\ufeff") == 1

    def test_semicolon_separator_and_header(self):
        """Columns are separated by ``;``, headers first."""
        lines = csv_bytes(ROWS).decode("utf-8").removeprefix("\ufeff").splitlines()
        assert lines[0] == "nom;montant (€);date d'entrée;voiture"
        assert lines[1] == "Martin;1234,5;15/03/2021;oui"
        assert lines[2] == "Dubois;;;non"

    def test_response_headers(self):
        """The file is downloaded as ``<name>.csv``, in UTF-8."""
        response = export_response("csv", "menages", COLUMNS, ROWS)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="menages.csv"'

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (Decimal("1234.5"), "1234,5"),
            (Decimal("-12.50"), "-12,50"),
            (Decimal("0"), "0"),
            (dt.date(2021, 3, 15), "15/03/2021"),
            (dt.date(2026, 1, 2), "02/01/2026"),
            (None, ""),
            (True, "oui"),
            (False, "non"),
            (0, "0"),
            (42, "42"),
            ("", ""),
            ("Châteauroux", "Châteauroux"),
        ],
    )
    def test_french_values(self, value, text):
        """Decimals with a comma, dates as dd/mm/yyyy, booleans as oui/non, nothing for None."""
        assert one_cell(value) == text

    def test_floats_use_a_decimal_comma(self):
        """A float is written with a decimal comma, like a Decimal."""
        assert one_cell(46.8103) == "46,8103"

    @pytest.mark.parametrize(
        "value",
        [
            '=HYPERLINK("http://example.org","clic")',
            "=1+1",
            "+1+1",
            "-1+1",
            "@SUM(A1:A2)",
            "-",
            "=",
        ],
    )
    def test_formulas_are_neutralised(self, value):
        """A text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
        assert one_cell(value) == "'" + value

    @pytest.mark.parametrize("value", ["-12,5", "-12.5", "+3", "-7", "12", "Martin-Dupont", "a=b"])
    def test_numbers_and_plain_text_stay(self, value):
        """Signed numbers and texts that are no formula are written as they are."""
        assert one_cell(value) == value

    def test_negative_decimal_is_not_prefixed(self):
        """A negative amount stays a number."""
        assert one_cell(Decimal("-12.5")) == "-12,5"

    def test_separators_in_values_are_quoted(self):
        """A value containing ``;`` or a line break stays one cell."""
        rows = csv_rows([{"v": "rue des Lilas; bât. B\n2e étage"}], [ExportColumn("v", lambda r: r["v"])])
        assert rows == [["v"], ["rue des Lilas; bât. B\n2e étage"]]

    def test_rows_are_streamed(self):
        """Rows are read only as the response is sent, one line at a time."""
        read = []

        def rows():
            for row in ROWS:
                read.append(row["name"])
                yield row

        response = export_response("csv", "menages", COLUMNS, rows())
        assert read == []
        chunks = iter(response.streaming_content)
        next(chunks)  # header
        next(chunks)
        assert read == ["Martin"]
        assert b"".join(chunks).decode("utf-8") == "Dubois;;;non\r\n"
        assert read == ["Martin", "Dubois"]


class TestXlsx:
    def test_header_and_values(self):
        """The workbook holds the header row then one row per item, with typed values."""
        sheet = xlsx_sheet(ROWS)
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("nom", "montant (€)", "date d'entrée", "voiture")
        name, amount, date, car = rows[1]
        assert name == "Martin"
        assert amount == pytest.approx(1234.5)
        assert date == dt.datetime(2021, 3, 15)
        assert car == "oui"
        assert rows[2][0] == "Dubois"
        assert rows[2][1] in (None, "")
        assert rows[2][3] == "non"
        assert len(rows) == 3

    def test_sheet_is_named_after_the_file(self):
        """The sheet is named after the file, cut to Excel's 31 characters."""
        assert xlsx_sheet(ROWS, filename="residences").title == "residences"
        assert xlsx_sheet(ROWS, filename="x" * 40).title == "x" * 31

    def test_response_headers(self):
        """The file is downloaded as ``<name>.xlsx``."""
        response = export_response("xlsx", "menages", COLUMNS, ROWS)
        response.file_to_stream.close()
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response["Content-Disposition"] == 'attachment; filename="menages.xlsx"'

    @pytest.mark.parametrize("value", ["=1+1", '=HYPERLINK("http://example.org","clic")'])
    def test_text_is_never_a_formula(self, value):
        """A text starting with ``=`` is stored as text, not as a formula."""
        sheet = xlsx_sheet([{"v": value}], [ExportColumn("v", lambda r: r["v"])])
        cell = sheet["A2"]
        assert cell.data_type == "s"
        assert isinstance(cell.value, str)
        assert cell.value.endswith(value)
        assert not cell.value.startswith("=")

    def test_empty_export(self):
        """No rows: the header alone."""
        sheet = xlsx_sheet([])
        assert list(sheet.iter_rows(values_only=True)) == [("nom", "montant (€)", "date d'entrée", "voiture")]


class TestFormat:
    @pytest.mark.parametrize("fmt", ["pdf", "", "CSV", "xls", None])
    def test_unknown_format_is_a_bad_request(self, fmt):
        """Only csv and xlsx exist."""
        response = export_response(fmt, "menages", COLUMNS, ROWS)
        assert response.status_code == 400

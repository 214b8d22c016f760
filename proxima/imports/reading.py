"""Read a tabular file (CSV or XLSX) row by row, whatever the landlord's software wrote.

Pure module: nothing imported from Django. Files are streamed: memory does not grow
with the file's size. CSV files may use a comma, a semicolon or a tab, and UTF-8
(with or without BOM), Windows-1252 or Latin-1; the encoding and the separator are
detected, and a file that is none of these gets a located error, not mojibake.
"""

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel format (.xls)
# A UTF-8 multi-byte sequence: if one appears in a file that is not valid UTF-8 overall,
# the file mixes encodings (usually two exports pasted together).
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
# Bytes that Windows-1252 leaves undefined: a file containing them is Latin-1 (or binary).
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
CHUNK = 1 << 20
EXPECTED_CONTENT = "une ligne d'en-tête puis des lignes de données"


class TableError(ValueError):
    """The file cannot be read as a table at all: what is wrong, what was expected, and where."""

    def __init__(self, file: str, problem: str, expected: str, line: int | None = None):
        self.file = file
        self.line = line
        self.problem = problem
        self.expected = expected
        where = f"{file}, ligne {line}" if line else file
        super().__init__(f"{where} : {problem} ; attendu : {expected}")


@dataclass(frozen=True)
class Formula:
    """A spreadsheet cell computed by a formula: its cached value cannot be trusted."""

    text: str

    def __str__(self):
        return self.text


@dataclass
class Table:
    """A readable table: its header, an estimate of its size, and its rows with their line numbers."""

    file: str
    format: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    estimated_rows: int
    _rows: Iterator[tuple[int, list]]

    def __iter__(self) -> Iterator[tuple[int, list]]:
        """Yield ``(line, values)`` for each non-empty data row; line 1 is the header."""
        return self._rows


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def detect_encoding(path: Path, display_name: str) -> str:
    """Return "utf-8-sig", "cp1252" or "latin-1" for a CSV file; raise TableError otherwise."""
    with open(path, "rb") as f:
        head = f.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
            raise TableError(
                display_name,
                "encodage UTF-16 ou fichier binaire",
                "un fichier texte en UTF-8, Windows-1252 ou Latin-1 "
                "(dans Excel : « Enregistrer sous » > « CSV UTF-8 »)",
            )
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        line = 1
        has_utf8_sequence = False
        while chunk := f.read(CHUNK):
            has_utf8_sequence = has_utf8_sequence or bool(UTF8_SEQUENCE.search(chunk))
            if b"\x00" in chunk:
                line += chunk[: chunk.index(b"\x00")].count(b"\n")
                raise TableError(display_name, "octet nul (fichier binaire)", "un fichier texte", line)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                bad_line = line + chunk[: error.start].count(b"\n")
                rest = chunk[error.start :]
                break
            line += chunk.count(b"\n")
        else:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise TableError(
                    display_name, "fichier tronqué au milieu d'un caractère UTF-8", "un fichier complet", line
                ) from None
            return "utf-8-sig"
        # Not UTF-8. UTF-8 sequences anywhere mean two encodings were mixed (two exports pasted
        # together): refused, rather than read as mojibake. Otherwise Windows-1252, unless the file
        # uses bytes that only Latin-1 defines.
        latin1 = False
        while rest:
            if has_utf8_sequence or UTF8_SEQUENCE.search(rest):
                raise TableError(
                    display_name,
                    "encodages mélangés : une partie du fichier est en UTF-8 et cette ligne ne l'est pas",
                    "un seul encodage pour tout le fichier (UTF-8, Windows-1252 ou Latin-1)",
                    bad_line,
                )
            latin1 = latin1 or bool(CP1252_UNDEFINED.search(rest))
            rest = f.read(CHUNK)
        return "latin-1" if latin1 else "cp1252"


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            count += chunk.count(b"\n")
    return count


def _detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_rows(path: Path, encoding: str, delimiter: str, display_name: str) -> Iterator[tuple[int, list]]:
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        next(reader, None)
        start = reader.line_num + 1
        try:
            for values in reader:
                if any(v.strip() for v in values):
                    yield start, values
                start = reader.line_num + 1
        except csv.Error as error:
            raise TableError(display_name, f"CSV illisible ({error})", "un CSV bien formé", start) from None


def _open_csv(path: Path, display_name: str) -> Table:
    encoding = detect_encoding(path, display_name)
    with open(path, encoding=encoding, newline="") as f:
        header_line = f.readline()
        if not header_line.strip():
            raise TableError(display_name, "fichier vide", EXPECTED_CONTENT)
        delimiter = _detect_delimiter(header_line)
        f.seek(0)
        headers = next(csv.reader(f, delimiter=delimiter))
    return Table(
        file=display_name,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        headers=[h.strip() for h in headers],
        estimated_rows=max(_count_lines(path) - 1, 0),
        _rows=_csv_rows(path, encoding, delimiter, display_name),
    )


def _xlsx_value(cell):
    if cell.data_type == "f":
        return Formula(str(cell.value))
    value = cell.value
    return "" if value is None else value


def _xlsx_rows(workbook, sheet) -> Iterator[tuple[int, list]]:
    try:
        rows = sheet.iter_rows()
        next(rows, None)
        for row in rows:
            values = [_xlsx_value(c) for c in row]
            if any(v != "" and not (isinstance(v, str) and not v.strip()) for v in values):
                yield row[0].row, values
    finally:
        workbook.close()


def _open_xlsx(path: Path, display_name: str) -> Table:
    try:
        # read_only streams the sheet; data_only=False keeps formulas visible so they can be refused.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds of error on a damaged file
        raise TableError(
            display_name, f"classeur XLSX illisible ({error.__class__.__name__})", "un classeur .xlsx valide"
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(max_row=1)
    first = next(rows, None)
    if not first or all(c.value is None for c in first):
        workbook.close()
        raise TableError(display_name, "première feuille vide", EXPECTED_CONTENT)
    headers = ["" if c.value is None else str(c.value).strip() for c in first]
    # The sheet's declared dimension; a sheet written without one gives no estimate (0).
    estimated = max((sheet.max_row or 1) - 1, 0)
    return Table(
        file=display_name,
        format="xlsx",
        encoding=None,
        delimiter=None,
        headers=headers,
        estimated_rows=estimated,
        _rows=_xlsx_rows(workbook, sheet),
    )


def open_table(path: str | Path, *, display_name: str | None = None) -> Table:
    """Open ``path`` as a table; ``display_name`` is the name shown in messages (the uploaded name)."""
    path = Path(path)
    display_name = display_name or path.name
    if not path.exists():
        raise TableError(display_name, "fichier introuvable", "un fichier existant")
    if path.stat().st_size == 0:
        raise TableError(display_name, "fichier vide", EXPECTED_CONTENT)
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == XLSX_MAGIC:
        return _open_xlsx(path, display_name)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise TableError(
            display_name, "extension .xlsx mais le contenu n'est pas un classeur Excel", "un classeur .xlsx"
        )
    if magic == OLE2_MAGIC:
        raise TableError(
            display_name,
            "ancien format Excel (.xls)",
            "un fichier .xlsx ou .csv (dans Excel : « Enregistrer sous »)",
        )
    return _open_csv(path, display_name)

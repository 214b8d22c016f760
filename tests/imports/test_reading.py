"""Reading CSV and XLSX files: encodings, separators, formulas, broken files. No database."""

import openpyxl
import pytest

from proxima.imports.reading import Formula, TableError, column_letter, detect_encoding, open_table

HEADER = "référence;nom;commune\n"
ROW = "R1;Résidence Les Tilleuls;36044\n"


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")],
)
def test_detects_encoding(tmp_path, encoding, expected):
    """UTF-8 with or without BOM and Windows-1252 are recognised, and accents survive."""
    path = write(tmp_path, "f.csv", (HEADER + ROW + "R2;Cœur de ville – Est;36044\n").encode(encoding))
    assert detect_encoding(path, "f.csv") == expected
    table = open_table(path)
    assert table.headers == ["référence", "nom", "commune"]
    assert [values[1] for _, values in table][-1] == "Cœur de ville – Est"


def test_latin1_only_bytes_give_latin1(tmp_path):
    """A byte Windows-1252 leaves undefined (0x81) means the file is Latin-1."""
    path = write(tmp_path, "f.csv", HEADER.encode("latin-1") + b"R1;Ecole \x81;36044\n")
    assert detect_encoding(path, "f.csv") == "latin-1"


def test_mixed_encodings_are_refused_with_the_line(tmp_path):
    """A file half UTF-8, half Windows-1252 would import as mojibake: it is refused, naming the line."""
    data = (HEADER + ROW).encode("utf-8") + "R2;Résidence du Château;36044\n".encode("cp1252")
    path = write(tmp_path, "melange.csv", data)
    with pytest.raises(TableError) as error:
        open_table(path)
    assert error.value.line == 3
    assert "encodages mélangés" in str(error.value)
    assert str(error.value).startswith("melange.csv, ligne 3 : ")


def test_utf16_is_refused(tmp_path):
    """Excel's "Unicode text" export (UTF-16) is refused with the way to fix it."""
    path = write(tmp_path, "f.csv", (HEADER + ROW).encode("utf-16"))
    with pytest.raises(TableError, match="UTF-16") as error:
        open_table(path)
    assert "CSV UTF-8" in error.value.expected


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_detects_delimiter(tmp_path, delimiter):
    """Semicolon (French Excel), comma and tab separators are all read."""
    text = HEADER.replace(";", delimiter) + ROW.replace(";", delimiter)
    table = open_table(write(tmp_path, "f.csv", text.encode()))
    assert table.delimiter == delimiter
    assert list(table) == [(2, ["R1", "Résidence Les Tilleuls", "36044"])]


def test_line_numbers_count_blank_lines_and_multiline_cells(tmp_path):
    """Line numbers are those a spreadsheet shows, so errors can be found in the file."""
    text = HEADER + ROW + "\n;;\n" + 'R2;"Les Hauts\nbâtiment A";36044\n' + "R3;Le Clos;36044\n"
    table = open_table(write(tmp_path, "f.csv", text.encode()))
    assert [line for line, _ in table] == [2, 5, 7]


@pytest.mark.parametrize("content", [b"", b"\n\n"])
def test_empty_file(tmp_path, content):
    """An empty file gets a message saying what was expected."""
    with pytest.raises(TableError, match="fichier vide") as error:
        open_table(write(tmp_path, "vide.csv", content))
    assert "ligne d'en-tête" in error.value.expected


def test_old_xls_is_refused(tmp_path):
    """The binary .xls format is recognised and refused with the way to fix it."""
    path = write(tmp_path, "f.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(TableError, match=r"ancien format Excel \(.xls\)"):
        open_table(path)


def test_damaged_xlsx_is_refused(tmp_path):
    with pytest.raises(TableError, match="classeur XLSX illisible"):
        open_table(write(tmp_path, "f.xlsx", b"PK\x03\x04garbage"))


def test_xlsx_rows_keep_types_and_flag_formulas(tmp_path):
    """XLSX cells keep their type; a formula is returned as a Formula, never as a stale value."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["référence", "loyer", "total"])
    sheet.append(["R1", 412.5, "=B2*12"])
    sheet.append([None, None, None])
    sheet.append(["R2", 380, 4560])
    path = tmp_path / "f.xlsx"
    workbook.save(path)
    table = open_table(path)
    rows = list(table)
    assert table.format == "xlsx"
    assert rows[0] == (2, ["R1", 412.5, Formula("=B2*12")])
    assert rows[1] == (4, ["R2", 380, 4560])


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")])
def test_column_letter(index, letter):
    assert column_letter(index) == letter


def test_utf8_after_windows_1252_is_refused_at_the_first_bad_line(tmp_path):
    """Mixed the other way round: a Windows-1252 line first, UTF-8 further down, even in a later block."""
    data = b"reference;nom;commune\n" + "R1;Résidence du Château;36044\n".encode("cp1252")
    data += b"R2;x;36044\n" * 200_000 + "R3;Les Prés;36044\n".encode()
    with pytest.raises(TableError, match="encodages mélangés") as error:
        open_table(write(tmp_path, "melange.csv", data))
    assert error.value.line == 2

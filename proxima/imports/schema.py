"""Columns of an import file and how each value is read and checked.

Pure module: nothing imported from Django. A parser takes the raw cell (a string from a
CSV, or a typed value from XLSX) and returns the clean value or raises ``Invalid`` with
what was expected, in plain French, so the message can say where and what.
"""

import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from proxima.imports.reading import Formula, column_letter


class Invalid(ValueError):
    """A value that does not fit; ``expected`` says what would."""

    def __init__(self, expected: str):
        self.expected = expected
        super().__init__(expected)


@dataclass(frozen=True)
class Issue:
    """One problem in an import file, located to the cell when possible."""

    file: str
    line: int | None
    column: str | None  # e.g. "C (loyer)"
    value: str | None
    expected: str
    problem: str = ""  # when the value alone does not say what is wrong: "référence déjà vue ligne 8"

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"ligne {self.line}")
        if self.column is not None:
            parts.append(f"colonne {self.column}")
        found = "" if self.value is None else f"valeur « {self.value} » ; "
        problem = f"{self.problem} ; " if self.problem else ""
        return f"{', '.join(parts)} : {problem}{found}attendu : {self.expected}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "problem": self.problem,
            "message": str(self),
        }


_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_REFERENCE = re.compile(r"[\w\-./ ]{1,50}")
_AMOUNT_NOISE = re.compile(r"[\s\u00a0\u202f€]")
_INTEGER = re.compile(r"-?\d+")
_KIND = re.compile(r"[tf]?(\d{1,2})(bis|ter)?")
_FOUR_DIGITS = re.compile(r"\d{4}")
_INSEE = re.compile(r"\d{5}|2[AB]\d{3}")
_PHONE_NOISE = re.compile(r"[\s.\-()\u00a0]")
_PHONE_NO_ZERO = re.compile(r"[1-9]\d{8}")
_PHONE_PREFIX = re.compile(r"^(\+33|0033)")
_PHONE = re.compile(r"0[1-9]\d{8}")


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Lower case, no accents, letters and digits only: "Référence du bail" -> "referencedubail"."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", text.lower())


def _text_of(value) -> str:
    if value.__class__ is str:
        return value  # parse_row already stripped it
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


FORMULA_EXPECTED = "une valeur saisie, pas une formule (copier puis « collage spécial > valeurs » dans Excel)"


# Parsers -----------------------------------------------------------------------------------


def text(max_length: int) -> Callable:
    def parse(value):
        value = _text_of(value)
        if len(value) > max_length:
            raise Invalid(f"un texte de {max_length} caractères au plus ({len(value)} ici)")
        return value

    return parse


def reference(value):
    """A landlord's reference: letters, digits and - _ . / only, up to 50 characters."""
    value = _text_of(value)
    if not _REFERENCE.fullmatch(value):
        raise Invalid("une référence de 50 caractères au plus (lettres, chiffres, - _ . /)")
    return value


_AMOUNT = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def amount(*, maximum: Decimal, unit: str = "€", places: int = 2) -> Callable:
    """A non-negative decimal number: 412,50 or 412.50 or "1 234,56 €"."""
    quantum = Decimal(1).scaleb(-places)

    def parse(value):
        if value.__class__ is str:
            raw = value.replace(",", ".", 1)
            # Fast path for the usual 412.50 / 412,50; anything else goes through the full check.
            if not (raw.isascii() and raw.replace(".", "", 1).isdigit()):
                raw = _AMOUNT_NOISE.sub("", value)
                if "." in raw and "," in raw:  # "1.234,56" (French thousands dot) -> "1234,56"
                    raw = raw.replace(".", "")
                if not _AMOUNT.match(raw):
                    raise Invalid(f"un nombre en {unit}, par exemple 412,50")
                raw = raw.replace(",", ".")
            number = Decimal(raw)
        elif isinstance(value, bool):
            raise Invalid("un nombre")
        else:  # int, float or Decimal from a spreadsheet
            number = Decimal(str(value))
        if number < 0:
            raise Invalid("un nombre positif ou nul")
        if number > maximum:
            raise Invalid(f"un nombre en {unit} inférieur ou égal à {maximum:,}".replace(",", " "))
        return number.quantize(quantum, rounding=ROUND_HALF_UP)

    return parse


def positive_amount(*, maximum: Decimal, unit: str) -> Callable:
    base = amount(maximum=maximum, unit=unit)

    def parse(value):
        number = base(value)
        if number <= 0:
            raise Invalid("un nombre strictement positif")
        return number

    return parse


def integer(*, minimum: int, maximum: int) -> Callable:
    def parse(value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        raw = _text_of(value)
        if not (raw.isascii() and raw.isdigit()) and not _INTEGER.fullmatch(raw):
            raise Invalid(f"un nombre entier entre {minimum} et {maximum}")
        number = int(raw)
        if not minimum <= number <= maximum:
            raise Invalid(f"un nombre entier entre {minimum} et {maximum}")
        return number

    return parse


_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$")


def date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _text_of(value)
    try:
        if len(raw) == 10 and raw[4] == "-":
            parsed = dt.date.fromisoformat(raw)
        elif m := _DATE_FR.match(raw):
            day, month, year = (int(g) for g in m.groups())
            parsed = dt.date(year, month, day)
        elif m := _DATE_ISO.match(raw):
            year, month, day = (int(g) for g in m.groups())
            parsed = dt.date(year, month, day)
        else:
            raise ValueError
    except ValueError:
        raise Invalid("une date JJ/MM/AAAA ou AAAA-MM-JJ, par exemple 15/03/2021") from None
    if not 1900 <= parsed.year <= 2100:
        raise Invalid("une date entre 1900 et 2100")
    return parsed


_TRUE = {"oui", "o", "vrai", "true", "yes", "y", "1", "x"}
_FALSE = {"non", "n", "faux", "false", "no", "0"}


def boolean(value):
    if isinstance(value, bool):
        return value
    raw = normalise(_text_of(value))
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise Invalid("oui ou non (vide si inconnu)")


def choice(options: dict[str, Iterable[str]]) -> Callable:
    """Map each accepted spelling (normalised) to its code value.

    ``options`` maps a code value to its accepted spellings, the first being shown in messages.
    """
    accepted = {}
    for code, spellings in options.items():
        accepted[normalise(code)] = code
        for spelling in spellings:
            accepted[normalise(spelling)] = code
    shown = ", ".join(next(iter(s)) if s else c for c, s in options.items())

    def parse(value):
        try:
            return accepted[normalise(_text_of(value))]
        except KeyError:
            raise Invalid(f"l'une des valeurs : {shown}") from None

    return parse


def dwelling_kind(value):
    """T1 to T6 ("T6" stands for six rooms or more); accepts F3, 3, T3 bis, studio."""
    raw = normalise(_text_of(value))
    if raw in {"studio", "chambre"}:
        return "T1"
    m = _KIND.fullmatch(raw)
    if not m or int(m.group(1)) < 1:
        raise Invalid("une typologie de T1 à T6 (T6 pour six pièces et plus)")
    return f"T{min(int(m.group(1)), 6)}"


def insee_code(value):
    """A commune's INSEE code; a 4-digit number is read as the code Excel stripped of its leading 0."""
    raw = _text_of(value).upper()
    if _FOUR_DIGITS.fullmatch(raw):
        raw = "0" + raw
    if not _INSEE.fullmatch(raw):
        raise Invalid("un code INSEE de commune à 5 caractères, par exemple 36044 (pas le code postal)")
    return raw


def latitude(value):
    return _coordinate(value, -90, 90, "une latitude en degrés décimaux, par exemple 46.8103")


def longitude(value):
    return _coordinate(value, -180, 180, "une longitude en degrés décimaux, par exemple 1.6913")


def _coordinate(value, low, high, expected):
    raw = _text_of(value).replace(",", ".")
    try:
        number = float(raw)
    except ValueError:
        raise Invalid(expected) from None
    if not low <= number <= high:
        raise Invalid(expected)
    return number


def phone(value):
    """A French phone number, stored as ten digits: 06 12 34 56 78 -> 0612345678."""
    raw = _text_of(value)
    if len(raw) == 10 and raw.isascii() and raw.isdigit() and raw[0] == "0" and raw[1] != "0":
        return raw  # already ten digits starting with 0
    raw = _PHONE_NOISE.sub("", raw)
    if _PHONE_NO_ZERO.fullmatch(raw):  # Excel dropped the leading 0
        raw = "0" + raw
    raw = _PHONE_PREFIX.sub("0", raw)
    if not _PHONE.fullmatch(raw):
        raise Invalid("un numéro de téléphone français à 10 chiffres, par exemple 02 54 12 34 56")
    return raw


# Columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    ``required``: a value must be given on every row (and so the column must be present).
    Optional columns may be absent from the file; a blank cell gives ``default``.
    """

    name: str
    label: str
    parse: Callable
    required: bool = True
    default: object = None
    aliases: tuple[str, ...] = ()

    def spellings(self) -> set[str]:
        return {normalise(s) for s in (self.name, self.label, *self.aliases)}


@dataclass(frozen=True)
class Binding:
    column: Column
    index: int
    header: str

    @property
    def where(self) -> str:
        return f"{column_letter(self.index)} ({self.header})"


@dataclass
class Layout:
    """How the file's columns map to the schema's columns."""

    bindings: list[Binding]
    missing: list[Column] = field(default_factory=list)  # optional columns absent from the file
    ignored: list[str] = field(default_factory=list)  # headers no column claims

    def __post_init__(self):
        # What parse_row needs of each binding, flattened once: it runs for every cell of the file.
        self.plan = [
            (b.index, b.column.name, b.column.parse, b.column.required, b.column.default, b) for b in self.bindings
        ]
        self.defaults = {c.name: c.default for c in self.missing}


def bind_columns(
    file: str, headers: list[str], columns: list[Column], renames: dict[str, str] | None = None
) -> tuple[Layout, list[Issue]]:
    """Match the file's headers to ``columns``; ``renames`` maps a file header to a column name."""
    renames = {normalise(k): v for k, v in (renames or {}).items()}
    by_spelling = {}
    for column in columns:
        for spelling in column.spellings():
            by_spelling[spelling] = column
    by_name = {c.name: c for c in columns}
    bindings, ignored, issues, seen = [], [], [], {}
    for index, header in enumerate(headers):
        key = normalise(header)
        if not key:
            continue
        column = by_name.get(renames[key]) if key in renames else by_spelling.get(key)
        if column is None:
            ignored.append(header)
            continue
        if column.name in seen:
            issues.append(
                Issue(
                    file,
                    1,
                    f"{column_letter(index)} ({header})",
                    None,
                    f"une seule colonne « {column.label} » (déjà en colonne {seen[column.name]})",
                )
            )
            continue
        seen[column.name] = column_letter(index)
        bindings.append(Binding(column, index, header))
    missing = []
    for column in columns:
        if column.name in seen:
            continue
        if not column.required:
            missing.append(column)
            continue
        issues.append(
            Issue(
                file,
                1,
                None,
                None,
                f"une colonne « {column.label} » (ou « {column.name} ») : elle est absente de l'en-tête",
            )
        )
    return Layout(bindings, missing, ignored), issues


class _Bad:
    """A cell that does not parse: what was found and what was expected."""

    __slots__ = ("expected", "shown")

    def __init__(self, shown: str, expected: str):
        self.shown, self.expected = shown, expected


def _parse_cell(raw, parse, required: bool, default, value_map):
    if raw.__class__ is str:
        raw = raw.strip()
        if value_map is not None:
            raw = value_map.get(raw, raw)
    elif raw.__class__ is Formula:
        return _Bad(str(raw), FORMULA_EXPECTED)
    if raw == "" or raw is None:
        return _Bad("", "une valeur (champ obligatoire)") if required else default
    try:
        return parse(raw)
    except Invalid as error:
        return _Bad(str(raw), error.expected)


def parse_chunk(
    file: str, chunk: list[tuple[int, list]], layout: Layout, value_maps: dict[str, dict[str, str]] | None = None
) -> list[tuple[int, dict, list[Issue]]]:
    """Read rows into ``(line, {column name: clean value}, issues)``, reporting every bad cell.

    Works column by column and parses each distinct value of a column once: the household's
    columns repeat on every occupant, and codes and dates repeat across rows.
    """
    value_maps = value_maps or {}
    lines = [line for line, _ in chunk]
    rows = [values for _, values in chunk]
    issues: dict[int, list[Issue]] = {}
    names, columns = [], []
    for index, name, parse, required, default, binding in layout.plan:
        value_map = value_maps.get(name)
        raws = [values[index] if index < len(values) else "" for values in rows]
        parsed = {raw: _parse_cell(raw, parse, required, default, value_map) for raw in set(raws)}
        bad = {raw for raw, value in parsed.items() if value.__class__ is _Bad}
        if bad:
            for i, raw in enumerate(raws):
                if raw in bad:
                    value = parsed[raw]
                    issues.setdefault(i, []).append(Issue(file, lines[i], binding.where, value.shown, value.expected))
        names.append(name)
        columns.append(list(map(parsed.__getitem__, raws)))
    for name, default in layout.defaults.items():
        names.append(name)
        columns.append(itertools.repeat(default))
    if layout.plan:  # zip stops with the first (finite) column; the defaults repeat
        datas = [dict(zip(names, values, strict=False)) for values in zip(*columns, strict=False)]
    else:
        datas = [dict(layout.defaults) for _ in rows]
    return [(line, data, issues.get(i, [])) for i, (line, data) in enumerate(zip(lines, datas, strict=True))]


def parse_row(
    file: str, line: int, values: list, layout: Layout, value_maps: dict[str, dict[str, str]] | None = None
) -> tuple[dict, list[Issue]]:
    """Read one row into ``{column name: clean value}``, or report every bad cell of it."""
    _, data, issues = parse_chunk(file, [(line, values)], layout, value_maps)[0]
    return data, issues

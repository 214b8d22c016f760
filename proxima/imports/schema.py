"""Columns of an import file and how each value is read and checked.

Pure module: nothing imported from Django. A parser takes the raw cell (a string from a
CSV, or a typed value from XLSX) and returns the clean value or raises ``Invalid`` with
what was expected, in plain French, so the message can say where and what.
"""

import datetime as dt
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


def normalise(text: str) -> str:
    """Lower case, no accents, letters and digits only: "Référence du bail" -> "referencedubail"."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _text_of(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _reject_formula(value):
    if isinstance(value, Formula):
        raise Invalid("une valeur saisie, pas une formule (copier puis « collage spécial > valeurs » dans Excel)")


# Parsers -----------------------------------------------------------------------------------


def text(max_length: int) -> Callable:
    def parse(value):
        _reject_formula(value)
        value = _text_of(value)
        if len(value) > max_length:
            raise Invalid(f"un texte de {max_length} caractères au plus ({len(value)} ici)")
        return value

    return parse


def reference(value):
    """A landlord's reference: letters, digits and - _ . / only, up to 50 characters."""
    _reject_formula(value)
    value = _text_of(value)
    if not re.fullmatch(r"[\w\-./ ]{1,50}", value):
        raise Invalid("une référence de 50 caractères au plus (lettres, chiffres, - _ . /)")
    return value


_AMOUNT = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def amount(*, maximum: Decimal, unit: str = "€", places: int = 2) -> Callable:
    """A non-negative decimal number: 412,50 or 412.50 or "1 234,56 €"."""
    quantum = Decimal(1).scaleb(-places)

    def parse(value):
        _reject_formula(value)
        if isinstance(value, bool):
            raise Invalid("un nombre")
        if isinstance(value, int | float | Decimal):
            number = Decimal(str(value))
        else:
            raw = re.sub(r"[\s\u00a0\u202f€]", "", str(value))
            # "1.234,56" (French thousands dot) -> "1234,56"
            if raw.count(".") and raw.count(","):
                raw = raw.replace(".", "")
            if not _AMOUNT.match(raw):
                raise Invalid(f"un nombre en {unit}, par exemple 412,50")
            number = Decimal(raw.replace(",", "."))
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
        _reject_formula(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        raw = _text_of(value)
        if not re.fullmatch(r"-?\d+", raw) or not minimum <= int(raw) <= maximum:
            raise Invalid(f"un nombre entier entre {minimum} et {maximum}")
        return int(raw)

    return parse


_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$")


def date(value):
    _reject_formula(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _text_of(value)
    try:
        if m := _DATE_FR.match(raw):
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
    _reject_formula(value)
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
        _reject_formula(value)
        try:
            return accepted[normalise(_text_of(value))]
        except KeyError:
            raise Invalid(f"l'une des valeurs : {shown}") from None

    return parse


def dwelling_kind(value):
    """T1 to T6 ("T6" stands for six rooms or more); accepts F3, 3, T3 bis, studio."""
    _reject_formula(value)
    raw = normalise(_text_of(value))
    if raw in {"studio", "chambre"}:
        return "T1"
    m = re.fullmatch(r"[tf]?(\d{1,2})(bis|ter)?", raw)
    if not m or int(m.group(1)) < 1:
        raise Invalid("une typologie de T1 à T6 (T6 pour six pièces et plus)")
    return f"T{min(int(m.group(1)), 6)}"


def insee_code(value):
    """A commune's INSEE code; a 4-digit number is read as the code Excel stripped of its leading 0."""
    _reject_formula(value)
    raw = _text_of(value).upper()
    if re.fullmatch(r"\d{4}", raw):
        raw = "0" + raw
    if not re.fullmatch(r"\d{5}|2[AB]\d{3}", raw):
        raise Invalid("un code INSEE de commune à 5 caractères, par exemple 36044 (pas le code postal)")
    return raw


def latitude(value):
    return _coordinate(value, -90, 90, "une latitude en degrés décimaux, par exemple 46.8103")


def longitude(value):
    return _coordinate(value, -180, 180, "une longitude en degrés décimaux, par exemple 1.6913")


def _coordinate(value, low, high, expected):
    _reject_formula(value)
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
    _reject_formula(value)
    raw = re.sub(r"[\s.\-()\u00a0]", "", _text_of(value))
    if re.fullmatch(r"[1-9]\d{8}", raw):  # Excel dropped the leading 0
        raw = "0" + raw
    raw = re.sub(r"^(\+33|0033)", "0", raw)
    if not re.fullmatch(r"0[1-9]\d{8}", raw):
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


def parse_row(
    file: str, line: int, values: list, layout: Layout, value_maps: dict[str, dict[str, str]] | None = None
) -> tuple[dict, list[Issue]]:
    """Read one row into ``{column name: clean value}``, or report every bad cell of it."""
    clean, issues = {}, []
    for binding in layout.bindings:
        column = binding.column
        raw = values[binding.index] if binding.index < len(values) else ""
        if isinstance(raw, str):
            raw = raw.strip()
            if value_maps and column.name in value_maps:
                raw = value_maps[column.name].get(raw, raw)
        if raw == "" or raw is None:
            if column.required:
                issues.append(Issue(file, line, binding.where, "", "une valeur (champ obligatoire)"))
            else:
                clean[column.name] = column.default
            continue
        try:
            clean[column.name] = column.parse(raw)
        except Invalid as error:
            issues.append(Issue(file, line, binding.where, str(raw), error.expected))
    for column in layout.missing:
        clean[column.name] = column.default
    return clean, issues

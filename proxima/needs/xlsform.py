"""Reading and writing XLSForms, the spreadsheet format of KoboToolbox and ODK Collect.

A workbook is read into a :class:`FormDefinition` (plain frozen data, nothing from Django) or refused
with every :class:`Problem` found, each located by sheet, Excel row and column header. The same
workbook is also converted by pyxform, so a form Proxima takes is a form ODK Collect takes.
:func:`write_xlsform` does the reverse, and its output re-reads to the same definition.

What Proxima takes, and the extra ``proxima_*`` columns, are documented in ``docs/surveys.md``.
"""

import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from io import BytesIO
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pyxform.xls2json_backends import md_table_to_workbook
from pyxform.xls2xform import convert

from proxima.needs.expressions import ExpressionError, referenced_names

__all__ = [
    "FRENCH",
    "ChoiceDefinition",
    "FormDefinition",
    "Problem",
    "QuestionDefinition",
    "SectionDefinition",
    "XLSFormError",
    "markdown_to_xlsx",
    "read_xlsform",
    "write_xlsform",
]

# The kinds of question, as ``proxima.needs.enums.QuestionKind`` spells them.
SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
SCALE = "scale"
NUMBER = "number"
DATE = "date"
TEXT = "text"
YES_NO = "yes_no"
CHOICE_KINDS = {SINGLE_CHOICE, MULTIPLE_CHOICE, SCALE, YES_NO}

# The language Proxima writes, named the way KoboToolbox names it.
FRENCH = "Français (fr)"

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
BEGIN_GROUP = {"begin group", "begin_group"}
END_GROUP = {"end group", "end_group"}
BEGIN_REPEAT = {"begin repeat", "begin_repeat"}
END_REPEAT = {"end repeat", "end_repeat"}
SIMPLE_TYPES = {"integer": NUMBER, "int": NUMBER, "decimal": NUMBER, "date": DATE, "text": TEXT}
SELECT_TYPE = re.compile(
    r"(?P<select>select_one|select one|select_multiple|select all that apply)\s+(?P<list>\S+)(?P<rest>.*)",
    re.IGNORECASE,
)
# What KoboToolbox and ODK add to record the device and timing: not questions, skipped silently.
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "imei",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
    "uri:deviceid",
    "uri:email",
    "uri:phonenumber",
    "uri:subscriberid",
    "uri:simserial",
    "uri:username",
}
# Columns whose behaviour Proxima would not reproduce: a form using them is refused rather than misread.
UNSUPPORTED_COLUMNS = ("choice_filter", "default", "read_only", "readonly", "calculation", "trigger", "repeat_count")
TRUE_WORDS = {"yes", "true", "true()", "1", "oui"}
FALSE_WORDS = {"no", "false", "false()", "0", "non"}
NAME = re.compile(r"[A-Za-z_][\w.-]*")
# Field sizes of the models (proxima.needs.models): longer text would be cut.
MAX_NAME, MAX_LABEL, MAX_VALUE, MAX_MESSAGE, MAX_BANK_CODE, MAX_TITLE = 100, 300, 100, 300, 50, 200


@dataclass(frozen=True)
class Problem:
    """Why a form cannot be taken, and where: ``row`` is the Excel row number, ``column`` the header."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne {self.column}")
        return f"{', '.join(where)} : {self.message}"


class XLSFormError(ValueError):
    """A form Proxima cannot take, with all its problems."""

    def __init__(self, problems: Collection[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class ChoiceDefinition:
    value: str
    label: str
    signals_need: bool = False


@dataclass(frozen=True)
class QuestionDefinition:
    """One question. ``kind`` is a ``QuestionKind`` value; ``theme`` and ``need`` are codes or empty."""

    name: str
    kind: str
    label: str
    hint: str = ""
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    theme: str = ""
    need: str = ""
    bank_code: str = ""
    choices: tuple[ChoiceDefinition, ...] = ()


@dataclass(frozen=True)
class SectionDefinition:
    name: str
    title: str
    relevant: str = ""
    questions: tuple[QuestionDefinition, ...] = ()


@dataclass(frozen=True)
class FormDefinition:
    """A whole form: its settings and its sections of questions, in order."""

    title: str
    form_id: str
    version: str = ""
    sections: tuple[SectionDefinition, ...] = ()

    @property
    def questions(self) -> tuple[QuestionDefinition, ...]:
        return tuple(question for section in self.sections for question in section.questions)


# --- Reading -------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (Excel row number, {header: text})


@dataclass
class _Group:
    name: str
    title: str
    relevant: str
    row: int
    questions: list = field(default_factory=list)


@dataclass
class _Question:
    row: int
    definition: QuestionDefinition


def _text(value) -> str:
    """A cell as text, the way pyxform reads it (so both agree on what a cell says)."""
    if value is None:
        return ""
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\xa0", " ").strip()


def _read_rows(worksheet) -> _Sheet:
    rows = worksheet.iter_rows(values_only=True)
    headers = [_text(value) for value in next(rows, ())]
    body = []
    for number, values in enumerate(rows, start=2):
        cells = {
            header: _text(value) for header, value in zip(headers, values, strict=False) if header and _text(value)
        }
        if cells:
            body.append((number, cells))
    return _Sheet(worksheet.title, headers, body)


def _read_sheets(data: bytes) -> dict[str, _Sheet]:
    try:
        with warnings.catch_warnings():
            # Workbooks saved by other tools make openpyxl warn about styles it ignores anyway.
            warnings.simplefilter("ignore")
            workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = {worksheet.title.strip().lower(): _read_rows(worksheet) for worksheet in workbook.worksheets}
            finally:
                workbook.close()
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as error:
        problem = Problem(
            "fichier",
            None,
            "",
            f"ce n'est pas un classeur Excel (.xlsx) lisible ({error}) : enregistrez le formulaire au format .xlsx",
        )
        raise XLSFormError([problem]) from error
    if len(sheets) == 1 and SURVEY not in sheets:
        # As pyxform does: a workbook with one sheet is the survey sheet, whatever its name.
        sheets = {SURVEY: next(iter(sheets.values()))}
    return sheets


def _column(sheet: _Sheet, name: str) -> str:
    """The header of ``sheet`` that is ``name`` (case-insensitive), or ``name`` itself if absent."""
    return next((header for header in sheet.headers if header.lower() == name), name)


def _is_french(language: str) -> bool:
    language = language.lower()
    return bool(re.search(r"\bfr\b|french|fran[cç]ais", language))


def _language_columns(sheet: _Sheet, base: str, default_language: str) -> list[str]:
    """The columns of ``base`` (``label``, ``label::fr``…), French first, then the default language, then the rest."""
    columns = [h for h in sheet.headers if h.lower() == base or h.lower().startswith(base + "::")]

    def rank(header):
        language = header.split("::", 1)[1].strip() if "::" in header else ""
        if language and _is_french(language):
            return 0
        if language and language == default_language:
            return 1
        return 2 if not language else 3

    return sorted(columns, key=rank)


def _translated(cells: dict[str, str], columns: list[str]) -> str:
    return next((cells[column] for column in columns if cells.get(column)), "")


def _flag(cells: dict[str, str], column: str, *, sheet: str, row: int, problems: list[Problem], expected: str) -> bool:
    value = cells.get(column, "")
    if value.lower() in TRUE_WORDS:
        return True
    if value == "" or value.lower() in FALSE_WORDS:
        return False
    problems.append(Problem(sheet, row, column, f"« {value} » n'est pas compris : {expected}"))
    return False


def _check_length(value: str, limit: int, *, sheet: str, row: int, column: str, problems: list[Problem]) -> None:
    if len(value) > limit:
        problems.append(Problem(sheet, row, column, f"texte trop long ({len(value)} caractères, {limit} au plus)"))


def _read_settings(sheets: dict[str, _Sheet]) -> dict[str, str]:
    sheet = sheets.get(SETTINGS)
    if sheet is None or not sheet.rows:
        return {}
    cells = sheet.rows[0][1]
    return {header.lower(): value for header, value in cells.items()}


def _read_choices(
    sheets: dict[str, _Sheet], default_language: str, problems: list[Problem]
) -> dict[str, list[ChoiceDefinition]]:
    sheet = sheets.get(CHOICES)
    if sheet is None:
        return {}
    list_column, name_column = _column(sheet, "list_name"), _column(sheet, "name")
    labels = _language_columns(sheet, "label", default_language)
    signals_column = _column(sheet, "proxima_signals_need")
    for required in (list_column, name_column):
        if required not in sheet.headers:
            problems.append(Problem(sheet.name, 1, required, "colonne obligatoire absente"))
    if not labels:
        problems.append(Problem(sheet.name, 1, "label", "colonne obligatoire absente"))
    lists: dict[str, list[ChoiceDefinition]] = {}
    for row, cells in sheet.rows:
        list_name, value, label = cells.get(list_column, ""), cells.get(name_column, ""), _translated(cells, labels)
        if not list_name:
            problems.append(Problem(sheet.name, row, list_column, "nom de liste manquant"))
            continue
        if not value:
            problems.append(Problem(sheet.name, row, name_column, "valeur du choix manquante"))
            continue
        if " " in value:
            problems.append(
                Problem(
                    sheet.name,
                    row,
                    name_column,
                    f"la valeur « {value} » contient une espace : les réponses à choix multiple séparent les valeurs par des espaces",
                )
            )
        if not label:
            problems.append(Problem(sheet.name, row, labels[0] if labels else "label", "libellé du choix manquant"))
        _check_length(value, MAX_VALUE, sheet=sheet.name, row=row, column=name_column, problems=problems)
        _check_length(
            label, MAX_LABEL, sheet=sheet.name, row=row, column=labels[0] if labels else "", problems=problems
        )
        signals = _flag(
            cells, signals_column, sheet=sheet.name, row=row, problems=problems, expected="écrivez yes ou laissez vide"
        )
        choices = lists.setdefault(list_name, [])
        if any(choice.value == value for choice in choices):
            problems.append(
                Problem(
                    sheet.name,
                    row,
                    name_column,
                    f"la valeur « {value} » figure deux fois dans la liste « {list_name} »",
                )
            )
            continue
        choices.append(ChoiceDefinition(value=value, label=label, signals_need=signals))
    return lists


def _select_kind(select: str, choices: list[ChoiceDefinition], appearance: str) -> str:
    if select.startswith("select_multiple") or select.startswith("select all"):
        return MULTIPLE_CHOICE
    values = {choice.value for choice in choices}
    if values in ({"oui", "non"}, {"yes", "no"}):
        return YES_NO
    if "likert" in appearance.lower().split():
        return SCALE
    return SINGLE_CHOICE


def _parse_survey(
    sheet: _Sheet,
    lists: dict[str, list[ChoiceDefinition]],
    default_language: str,
    *,
    themes: Collection[str],
    needs: Collection[str],
    problems: list[Problem],
) -> list[_Group]:
    """The survey sheet as groups of questions, in order; questions outside a group get a group without name."""
    type_column, name_column = _column(sheet, "type"), _column(sheet, "name")
    columns = {
        base: _column(sheet, base)
        for base in ("required", "relevant", "constraint", "appearance", "proxima_theme", "proxima_need")
    }
    bank_column = _column(sheet, "proxima_bank_code")
    labels = _language_columns(sheet, "label", default_language)
    hints = _language_columns(sheet, "hint", default_language)
    messages = _language_columns(sheet, "constraint_message", default_language) + _language_columns(
        sheet, "jr:constraintmsg", default_language
    )
    for required in (type_column, name_column):
        if required not in sheet.headers:
            problems.append(Problem(sheet.name, 1, required, "colonne obligatoire absente"))
    groups: list[_Group] = []
    current: _Group | None = None  # the open ``begin group``
    loose: _Group | None = None  # the run of questions outside any group being read
    ignored_depth = 0  # nested groups and repeats being skipped, whose ``end`` rows close nothing of ours
    for row, cells in sheet.rows:
        raw_type = " ".join(cells.get(type_column, "").split())
        kind_text = raw_type.lower()
        name = cells.get(name_column, "")
        if not raw_type:
            problems.append(Problem(sheet.name, row, type_column, "type manquant"))
            continue
        if kind_text in BEGIN_GROUP | BEGIN_REPEAT:
            if kind_text in BEGIN_REPEAT:
                problems.append(
                    Problem(sheet.name, row, type_column, "type non pris en charge : les groupes répétés (repeat)")
                )
                ignored_depth += 1
            elif current is not None or ignored_depth:
                problems.append(
                    Problem(
                        sheet.name,
                        row,
                        type_column,
                        "groupe imbriqué non pris en charge : Proxima n'a qu'un niveau de sections, "
                        "fermez le groupe précédent (end_group) avant d'ouvrir celui-ci",
                    )
                )
                ignored_depth += 1
            else:
                current = _Group(
                    name=name,
                    title=_translated(cells, labels) or name,
                    relevant=cells.get(columns["relevant"], ""),
                    row=row,
                )
                if not name:
                    problems.append(Problem(sheet.name, row, name_column, "nom du groupe manquant"))
                _check_length(name, MAX_NAME, sheet=sheet.name, row=row, column=name_column, problems=problems)
                _check_length(
                    current.title,
                    MAX_LABEL,
                    sheet=sheet.name,
                    row=row,
                    column=labels[0] if labels else "",
                    problems=problems,
                )
                groups.append(current)
                loose = None
            continue
        if kind_text in END_GROUP | END_REPEAT:
            if ignored_depth:
                ignored_depth -= 1
            elif current is not None:
                current = None
            else:
                problems.append(Problem(sheet.name, row, type_column, "fin de groupe sans début de groupe"))
            continue
        if kind_text in METADATA_TYPES:
            continue
        for column in UNSUPPORTED_COLUMNS:
            header = _column(sheet, column)
            if cells.get(header):
                problems.append(
                    Problem(sheet.name, row, header, f"la colonne « {header} » n'est pas prise en charge : videz-la")
                )
        question = _parse_question(
            row,
            cells,
            raw_type,
            lists,
            sheet=sheet,
            columns=columns,
            name_column=name_column,
            type_column=type_column,
            bank_column=bank_column,
            labels=labels,
            hints=hints,
            messages=messages,
            themes=themes,
            needs=needs,
            problems=problems,
        )
        if question is None:
            continue
        if current is None:
            if loose is None:
                loose = _Group(name="", title="", relevant="", row=row)
                groups.append(loose)
            loose.questions.append(question)
        else:
            current.questions.append(question)
    if current is not None:
        problems.append(
            Problem(
                sheet.name, current.row, type_column, f"le groupe « {current.name} » n'est jamais fermé (end_group)"
            )
        )
    return groups


def _parse_question(
    row: int,
    cells: dict[str, str],
    raw_type: str,
    lists: dict[str, list[ChoiceDefinition]],
    *,
    sheet: _Sheet,
    columns: dict[str, str],
    name_column: str,
    type_column: str,
    bank_column: str,
    labels: list[str],
    hints: list[str],
    messages: list[str],
    themes: Collection[str],
    needs: Collection[str],
    problems: list[Problem],
) -> _Question | None:
    choices: list[ChoiceDefinition] = []
    select = SELECT_TYPE.fullmatch(raw_type)
    if select:
        list_name, rest = select.group("list"), select.group("rest").strip()
        if rest:
            problems.append(
                Problem(
                    sheet.name,
                    row,
                    type_column,
                    f"type non pris en charge : « {rest} » (ajoutez plutôt un choix « autre » et une question texte)",
                )
            )
        elif list_name not in lists:
            problems.append(
                Problem(
                    sheet.name,
                    row,
                    type_column,
                    f"la liste de choix « {list_name} » n'existe pas dans la feuille choices",
                )
            )
        else:
            choices = lists[list_name]
        kind = _select_kind(select.group("select").lower(), choices, cells.get(columns["appearance"], ""))
    elif raw_type.lower() in SIMPLE_TYPES:
        kind = SIMPLE_TYPES[raw_type.lower()]
    else:
        problems.append(Problem(sheet.name, row, type_column, f"type non pris en charge : « {raw_type} »"))
        return None
    name = cells.get(name_column, "")
    if not name:
        problems.append(Problem(sheet.name, row, name_column, "nom de la question manquant"))
    elif not NAME.fullmatch(name):
        problems.append(
            Problem(
                sheet.name,
                row,
                name_column,
                f"« {name} » n'est pas un nom valide : une lettre d'abord, puis lettres, chiffres, _ . ou -",
            )
        )
    label = _translated(cells, labels)
    if not label:
        problems.append(Problem(sheet.name, row, labels[0] if labels else "label", "libellé de la question manquant"))
    constraint_message = _translated(cells, messages)
    theme, need = cells.get(columns["proxima_theme"], ""), cells.get(columns["proxima_need"], "")
    if theme and theme not in themes:
        problems.append(
            Problem(
                sheet.name,
                row,
                columns["proxima_theme"],
                f"thème « {theme} » inconnu : {', '.join(sorted(themes))}",
            )
        )
    if need and need not in needs:
        problems.append(
            Problem(
                sheet.name, row, columns["proxima_need"], f"besoin « {need} » inconnu : {', '.join(sorted(needs))}"
            )
        )
    bank_code = cells.get(bank_column, "")
    for value, limit, column in (
        (name, MAX_NAME, name_column),
        (constraint_message, MAX_MESSAGE, messages[0] if messages else ""),
        (bank_code, MAX_BANK_CODE, bank_column),
    ):
        _check_length(value, limit, sheet=sheet.name, row=row, column=column, problems=problems)
    required = _flag(
        cells,
        columns["required"],
        sheet=sheet.name,
        row=row,
        problems=problems,
        expected="écrivez yes ou laissez vide (une obligation sous condition n'est pas prise en charge)",
    )
    definition = QuestionDefinition(
        name=name,
        kind=kind,
        label=label,
        hint=_translated(cells, hints),
        required=required,
        relevant=cells.get(columns["relevant"], ""),
        constraint=cells.get(columns["constraint"], ""),
        constraint_message=constraint_message,
        theme=theme,
        need=need,
        bank_code=bank_code,
        choices=tuple(choices),
    )
    # Without a name the question cannot be referred to: its other checks would only add noise.
    return _Question(row, definition) if name else None


def _check_expression(
    text: str,
    *,
    sheet: str,
    row: int,
    column: str,
    earlier: set[str],
    itself: str,
    known: set[str],
    problems: list[Problem],
) -> None:
    """``text`` must be an expression Proxima evaluates, on questions asked before (or on itself, for a constraint)."""
    try:
        names = referenced_names(text)
    except ExpressionError as error:
        problems.append(Problem(sheet, row, column, f"« {text} » : {error}"))
        return
    for name in sorted(names):
        if name == itself:
            continue
        if name not in known:
            problems.append(Problem(sheet, row, column, f"la question « {name} » n'existe pas"))
        elif name not in earlier:
            problems.append(
                Problem(
                    sheet,
                    row,
                    column,
                    f"la question « {name} » vient après : une condition ne peut porter que sur une question posée avant",
                )
            )


def _check_names_and_expressions(groups: list[_Group], sheet: _Sheet, problems: list[Problem]) -> None:
    name_column = _column(sheet, "name")
    relevant_column, constraint_column = _column(sheet, "relevant"), _column(sheet, "constraint")
    known = {question.definition.name for group in groups for question in group.questions}
    earlier: set[str] = set()
    group_names: set[str] = set()
    for group in groups:
        if group.name:
            if group.name in group_names:
                problems.append(Problem(sheet.name, group.row, name_column, f"le groupe « {group.name} » existe déjà"))
            group_names.add(group.name)
        if group.relevant:
            _check_expression(
                group.relevant,
                sheet=sheet.name,
                row=group.row,
                column=relevant_column,
                earlier=set(earlier),
                itself="",
                known=known,
                problems=problems,
            )
        for question in group.questions:
            definition = question.definition
            if definition.name in earlier:
                problems.append(
                    Problem(sheet.name, question.row, name_column, f"la question « {definition.name} » existe déjà")
                )
            for text, column, itself in (
                (definition.relevant, relevant_column, ""),
                (definition.constraint, constraint_column, definition.name),
            ):
                if text:
                    _check_expression(
                        text,
                        sheet=sheet.name,
                        row=question.row,
                        column=column,
                        earlier=earlier,
                        itself=itself,
                        known=known,
                        problems=problems,
                    )
            earlier.add(definition.name)


def _default_names(groups: list[_Group]) -> None:
    """Name the runs of questions outside any group ``questions``, ``questions_2``…, clear of the groups' names."""
    taken = {group.name for group in groups if group.name}
    number = 1
    for group in groups:
        if group.name:
            continue
        while (candidate := "questions" if number == 1 else f"questions_{number}") in taken:
            number += 1
        group.name, group.title = candidate, "Questions"
        taken.add(candidate)


_PYXFORM_ROW = re.compile(r"\[row : (\d+)\]")
_PYXFORM_SHEET = re.compile(r"On the '(\w+)' sheet")
_PYXFORM_COLUMN = re.compile(r"the '([\w:]+)' value")


def _pyxform_problems(data: bytes, found: list[Problem]) -> list[Problem]:
    """pyxform's own verdict on the workbook, unless it is about a row where a problem is already reported."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert(xlsform=data, file_type=".xlsx", warnings=[])
    except Exception as error:  # pyxform raises PyXFormError, and on odd input other errors too
        message = str(error)
        row_match, sheet_match = _PYXFORM_ROW.search(message), _PYXFORM_SHEET.search(message)
        sheet = sheet_match.group(1) if sheet_match else SURVEY
        row = int(row_match.group(1)) if row_match else None
        if (row is None and found) or any(p.sheet.lower() == sheet and p.row == row for p in found):
            return []
        column_match = _PYXFORM_COLUMN.search(message)
        return [Problem(sheet, row, column_match.group(1) if column_match else "", f"pyxform : {message}")]
    return []


def read_xlsform(data: bytes, *, themes: Collection[str], needs: Collection[str]) -> FormDefinition:
    """Read an XLSForm workbook (.xlsx bytes).

    Parameters
    ----------
    data
        The workbook's bytes.
    themes, needs
        The codes accepted in the ``proxima_theme`` and ``proxima_need`` columns.

    Returns
    -------
    FormDefinition
        The form, its questions in the order of the survey sheet.

    Raises
    ------
    XLSFormError
        With every problem found (sheet, row, column, message) when the form cannot be taken as a whole.
    """
    sheets = _read_sheets(data)
    problems: list[Problem] = []
    settings = _read_settings(sheets)
    default_language = settings.get("default_language", "")
    survey = sheets.get(SURVEY)
    if survey is None:
        raise XLSFormError([Problem("survey", None, "", "la feuille « survey » est absente du classeur")])
    lists = _read_choices(sheets, default_language, problems)
    groups = _parse_survey(survey, lists, default_language, themes=themes, needs=needs, problems=problems)
    groups = [group for group in groups if group.questions]
    if not groups and not problems:
        problems.append(Problem(survey.name, None, "", "aucune question que Proxima puisse poser"))
    _check_names_and_expressions(groups, survey, problems)
    _default_names(groups)
    title = settings.get("form_title") or settings.get("form_id") or "Enquête importée"
    form_id = settings.get("form_id") or "enquete"
    _check_length(title, MAX_TITLE, sheet=SETTINGS, row=2, column="form_title", problems=problems)
    _check_length(form_id, MAX_NAME, sheet=SETTINGS, row=2, column="form_id", problems=problems)
    problems.extend(_pyxform_problems(data, problems))
    if problems:
        raise XLSFormError(problems)
    return FormDefinition(
        title=title,
        form_id=form_id,
        version=settings.get("version", ""),
        sections=tuple(
            SectionDefinition(
                name=group.name,
                title=group.title,
                relevant=group.relevant,
                questions=tuple(question.definition for question in group.questions),
            )
            for group in groups
        ),
    )


def markdown_to_xlsx(text: str) -> bytes:
    """An XLSForm written as pyxform's markdown tables (``| survey |`` then rows), as .xlsx bytes."""
    buffer = BytesIO()
    md_table_to_workbook(text).save(buffer)
    return buffer.getvalue()


# --- Writing -------------------------------------------------------------------------------------

SURVEY_HEADERS = [
    "type",
    "name",
    f"label::{FRENCH}",
    f"hint::{FRENCH}",
    "required",
    "relevant",
    "constraint",
    f"constraint_message::{FRENCH}",
    "appearance",
    "proxima_theme",
    "proxima_need",
    "proxima_bank_code",
]
CHOICES_HEADERS = ["list_name", "name", f"label::{FRENCH}", "proxima_signals_need"]
SETTINGS_HEADERS = ["form_title", "form_id", "version", "default_language"]


def _choice_lists(form: FormDefinition) -> dict[str, str]:
    """A list name per question with choices; questions with the very same choices share one list."""
    by_choices: dict[tuple[ChoiceDefinition, ...], str] = {}
    names: dict[str, str] = {}
    for question in form.questions:
        if question.kind not in CHOICE_KINDS:
            continue
        if question.choices not in by_choices:
            name, number = question.name, 2
            while name in by_choices.values():
                name, number = f"{question.name}_{number}", number + 1
            by_choices[question.choices] = name
        names[question.name] = by_choices[question.choices]
    return names


def _cell(value: str) -> str | None:
    """A cell to write: empty stays empty, and text starting with "=" stays text, not a formula."""
    if not value:
        return None
    return f" {value}" if value.startswith("=") else value


def _question_row(question: QuestionDefinition, list_name: str) -> list[str | None]:
    if question.kind == MULTIPLE_CHOICE:
        kind = f"select_multiple {list_name}"
    elif question.kind in CHOICE_KINDS:
        kind = f"select_one {list_name}"
    else:
        # integer and decimal both read as "number": decimal accepts every number a resident may give.
        kind = {NUMBER: "decimal", DATE: "date", TEXT: "text"}[question.kind]
    cells = [
        kind,
        question.name,
        question.label,
        question.hint,
        "yes" if question.required else "",
        question.relevant,
        question.constraint,
        question.constraint_message,
        "likert" if question.kind == SCALE else "",
        question.theme,
        question.need,
        question.bank_code,
    ]
    return [_cell(cell) for cell in cells]


def write_xlsform(form: FormDefinition) -> bytes:
    """The form as an XLSForm workbook (.xlsx bytes) with survey, choices and settings sheets.

    Labels are written in French (``label::Français (fr)``), the way KoboToolbox names its columns;
    themes, needs, bank codes and which choices signal the need go in the ``proxima_*`` columns.
    """
    workbook = Workbook()
    survey = workbook.active
    survey.title = SURVEY
    survey.append(SURVEY_HEADERS)
    lists = _choice_lists(form)
    for section in form.sections:
        survey.append(["begin_group", section.name, _cell(section.title), None, None, _cell(section.relevant)])
        for question in section.questions:
            survey.append(_question_row(question, lists.get(question.name, "")))
        survey.append(["end_group", section.name])
    choices = workbook.create_sheet(CHOICES)
    choices.append(CHOICES_HEADERS)
    written = set()
    for question in form.questions:
        list_name = lists.get(question.name)
        if list_name is None or list_name in written:
            continue
        written.add(list_name)
        for choice in question.choices:
            choices.append(
                [list_name, _cell(choice.value), _cell(choice.label), "yes" if choice.signals_need else None]
            )
    settings = workbook.create_sheet(SETTINGS)
    settings.append(SETTINGS_HEADERS)
    settings.append([_cell(form.title), form.form_id, _cell(form.version), FRENCH])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""XLSForm reading and writing: what Proxima takes from KoboToolbox and ODK forms, the round trip, located problems."""

import subprocess
import sys
from dataclasses import replace
from io import BytesIO

import pytest
from openpyxl import Workbook
from pyxform.xls2xform import convert

from proxima.needs.xlsform import (
    ChoiceDefinition,
    FormDefinition,
    Problem,
    QuestionDefinition,
    SectionDefinition,
    XLSFormError,
    read_xlsform,
    write_xlsform,
)

THEMES = {"isolation", "mobility", "paperwork"}
NEEDS = {"isolation", "mobility", "paperwork_help"}

FR, EN = "label::Français (fr)", "label::English (en)"


def workbook(survey, choices=None, settings=None) -> bytes:
    """An .xlsx from rows (the first row of each sheet is its header)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows:
            extra = book.create_sheet(title)
            for row in rows:
                extra.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes) -> FormDefinition:
    return read_xlsform(data, themes=THEMES, needs=NEEDS)


def problems_of(data: bytes) -> list[Problem]:
    with pytest.raises(XLSFormError) as caught:
        read(data)
    return list(caught.value.problems)


# A form as KoboToolbox writes it: two languages, metadata, groups, every supported type.
KOBO_SURVEY = [
    [
        "type",
        "name",
        EN,
        FR,
        "hint::Français (fr)",
        "required",
        "relevant",
        "constraint",
        "constraint_message::Français (fr)",
        "appearance",
        "proxima_theme",
        "proxima_need",
    ],
    ["start", "start"],
    ["end", "end"],
    [
        "select_one oui_non",
        "seul",
        "Alone?",
        "Vivez-vous seul ?",
        "",
        "TRUE()",
        "",
        "",
        "",
        "",
        "isolation",
        "isolation",
    ],
    ["begin_group", "visites_groupe", "Visits", "Visites", "", "", "${seul} = 'oui'"],
    [
        "select_one frequence",
        "visites",
        "Visits?",
        "Recevez-vous des visites ?",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "isolation",
        "isolation",
    ],
    ["select_one note", "satisfaction", "Rate", "Notez le service", "", "", "", "", "", "likert"],
    ["end_group", "visites_groupe"],
    ["begin group", "aides_groupe", "Help", "Les aides"],
    [
        "select_multiple aides",
        "aides",
        "Help?",
        "Quelles aides ?",
        "Plusieurs réponses",
        "",
        "",
        "not(selected(., 'aucune') and count-selected(.) > 1)",
        "« Aucune » seule.",
        "",
        "paperwork",
        "paperwork_help",
    ],
    ["integer", "age", "Age", "Votre âge", "", "", "", ". >= 18", "18 ans au moins."],
    ["date", "arrivee", "Arrival", "Arrivée", "", "", "selected(${aides}, 'papiers')"],
    ["end group"],
    ["text", "remarque", "Remark", "Une remarque ?"],
]
KOBO_CHOICES = [
    ["list_name", "name", EN, FR, "proxima_signals_need"],
    ["oui_non", "oui", "Yes", "Oui", "yes"],
    ["oui_non", "non", "No", "Non", ""],
    ["frequence", "souvent", "Often", "Souvent", ""],
    ["frequence", "jamais", "Never", "Jamais", "TRUE"],
    ["note", "1", "Bad", "Mauvais", ""],
    ["note", "2", "Good", "Bon", ""],
    ["aides", "papiers", "Papers", "Les papiers", "yes"],
    ["aides", "aucune", "None", "Aucune", ""],
]
KOBO_SETTINGS = [
    ["form_title", "form_id", "version", "default_language"],
    ["Vos besoins", "vos_besoins", "2026", "English (en)"],
]


class TestRead:
    def test_kobo_form(self):
        """A KoboToolbox form reads into sections and questions, in French, with metadata skipped."""
        form = read(workbook(KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS))
        assert (form.title, form.form_id, form.version) == ("Vos besoins", "vos_besoins", "2026")
        assert [(s.name, s.title, s.relevant) for s in form.sections] == [
            ("questions", "Questions", ""),
            ("visites_groupe", "Visites", "${seul} = 'oui'"),
            ("aides_groupe", "Les aides", ""),
            ("questions_2", "Questions", ""),
        ]
        by_name = {q.name: q for q in form.questions}
        assert [q.name for q in form.questions] == [
            "seul",
            "visites",
            "satisfaction",
            "aides",
            "age",
            "arrivee",
            "remarque",
        ]
        assert {name: q.kind for name, q in by_name.items()} == {
            "seul": "yes_no",
            "visites": "single_choice",
            "satisfaction": "scale",
            "aides": "multiple_choice",
            "age": "number",
            "arrivee": "date",
            "remarque": "text",
        }
        seul = by_name["seul"]
        assert (seul.label, seul.required, seul.theme, seul.need) == (
            "Vivez-vous seul ?",
            True,
            "isolation",
            "isolation",
        )
        assert seul.choices == (ChoiceDefinition("oui", "Oui", True), ChoiceDefinition("non", "Non", False))
        assert by_name["visites"].choices[1] == ChoiceDefinition("jamais", "Jamais", True)
        aides = by_name["aides"]
        assert aides.hint == "Plusieurs réponses"
        assert aides.constraint == "not(selected(., 'aucune') and count-selected(.) > 1)"
        assert aides.constraint_message == "« Aucune » seule."
        assert by_name["arrivee"].relevant == "selected(${aides}, 'papiers')"
        assert not by_name["remarque"].required

    def test_default_language_when_no_french(self):
        """Without a French column, the settings' default language gives the labels."""
        data = workbook(
            [["type", "name", "label::Deutsch (de)", "label::English (en)"], ["text", "a", "Bemerkung", "Remark"]],
            settings=[["default_language"], ["English (en)"]],
        )
        assert read(data).questions[0].label == "Remark"

    def test_plain_label_column(self):
        """A single ``label`` column is read as is, with a one-sheet workbook taken as the survey sheet."""
        book = Workbook()
        book.active.title = "Feuil1"
        book.active.append(["type", "name", "label"])
        book.active.append(["text", "remarque", "Une remarque ?"])
        buffer = BytesIO()
        book.save(buffer)
        assert read(buffer.getvalue()).questions[0].label == "Une remarque ?"

    def test_yes_no_in_english_values(self):
        """A list of exactly yes/no is a yes/no question too."""
        data = workbook(
            [["type", "name", "label"], ["select_one yn", "q", "Q ?"]],
            [["list_name", "name", "label"], ["yn", "yes", "Oui"], ["yn", "no", "Non"]],
        )
        assert read(data).questions[0].kind == "yes_no"

    def test_consecutive_integers_without_likert_stay_single_choice(self):
        """Only the ``likert`` appearance makes a scale: 1, 2, 3 may be a count of persons."""
        data = workbook(
            [["type", "name", "label"], ["select_one n", "personnes", "Combien ?"]],
            [["list_name", "name", "label"], ["n", "1", "Une"], ["n", "2", "Deux"], ["n", "3", "Trois"]],
        )
        assert read(data).questions[0].kind == "single_choice"


def small_form() -> FormDefinition:
    """Every kind, conditions, constraints, themes, needs, signals, bank codes and a shared yes/no list."""
    yes_no = (ChoiceDefinition("oui", "Oui", True), ChoiceDefinition("non", "Non"))
    return FormDefinition(
        title="Vos besoins au quotidien",
        form_id="vos_besoins",
        version="3",
        sections=(
            SectionDefinition(
                name="isolement",
                title="Isolement",
                questions=(
                    QuestionDefinition(
                        "seul",
                        "yes_no",
                        "Vivez-vous seul(e) ?",
                        required=True,
                        theme="isolation",
                        need="isolation",
                        bank_code="iso_seul",
                        choices=yes_no,
                    ),
                    QuestionDefinition(
                        "appel",
                        "yes_no",
                        "Un appel ?",
                        relevant="${seul} = 'oui'",
                        theme="isolation",
                        need="isolation",
                        choices=yes_no,
                    ),
                    QuestionDefinition(
                        "visites",
                        "single_choice",
                        "Des visites ?",
                        hint="Famille ou voisins",
                        choices=(ChoiceDefinition("souvent", "Souvent"), ChoiceDefinition("jamais", "Jamais", True)),
                    ),
                ),
            ),
            SectionDefinition(
                name="aides",
                title="Les aides",
                relevant="${seul} = 'oui' or ${visites} = 'jamais'",
                questions=(
                    QuestionDefinition(
                        "aides",
                        "multiple_choice",
                        "Quelles aides ?",
                        theme="paperwork",
                        need="paperwork_help",
                        constraint="not(selected(., 'aucune') and count-selected(.) > 1)",
                        constraint_message="« Aucune » seule.",
                        choices=(
                            ChoiceDefinition("papiers", "Les papiers", True),
                            ChoiceDefinition("aucune", "Aucune"),
                        ),
                    ),
                    QuestionDefinition(
                        "note",
                        "scale",
                        "Votre note",
                        choices=(ChoiceDefinition("1", "Mauvais", True), ChoiceDefinition("2", "Bon")),
                    ),
                    QuestionDefinition(
                        "age",
                        "number",
                        "Votre âge",
                        constraint=". >= 18 and . <= 120",
                        constraint_message="Entre 18 et 120 ans.",
                    ),
                    QuestionDefinition("arrivee", "date", "Arrivée"),
                    QuestionDefinition("remarque", "text", "= une remarque ?"),
                ),
            ),
        ),
    )


class TestWrite:
    def test_round_trip(self):
        """An exported form re-reads to the very same definition."""
        form = small_form()
        assert read(write_xlsform(form)) == form

    def test_pyxform_converts_the_export(self):
        """pyxform turns the exported workbook into an XForm without error, extra columns and all."""
        result = convert(xlsform=write_xlsform(small_form()), file_type=".xlsx", warnings=[])
        assert 'id="vos_besoins"' in result.xform
        assert "Vivez-vous seul(e) ?" in result.xform

    def test_identical_choices_share_a_list(self):
        """Questions with the same choices and signals share one choice list; others get their own."""
        data = write_xlsform(small_form())
        choices = convert(xlsform=data, file_type=".xlsx", warnings=[])._pyxform["choices"]
        assert set(choices) == {"seul", "visites", "aides", "note"}

    def test_different_signals_get_different_lists(self):
        """The same values with other signals cannot share a list: the signal is written on the choice."""
        form = small_form()
        first = form.sections[0]
        flipped = replace(
            first.questions[1], choices=(ChoiceDefinition("oui", "Oui"), ChoiceDefinition("non", "Non", True))
        )
        form = replace(
            form,
            sections=(replace(first, questions=(first.questions[0], flipped, first.questions[2])), form.sections[1]),
        )
        assert read(write_xlsform(form)) == form


def survey_rows(*rows):
    return [["type", "name", "label", "relevant", "constraint", "required", "proxima_theme", "proxima_need"], *rows]


CHOICES = [
    ["list_name", "name", "label", "proxima_signals_need"],
    ["oui_non", "oui", "Oui", "yes"],
    ["oui_non", "non", "Non", ""],
]


class TestProblems:
    @pytest.mark.parametrize(
        ("row", "column", "fragment"),
        [
            (["note", "intro", "Bonjour"], "type", "type non pris en charge : « note »"),
            (["calculate", "total", "Total"], "type", "type non pris en charge : « calculate »"),
            (["geopoint", "position", "Où ?"], "type", "type non pris en charge : « geopoint »"),
            (["image", "photo", "Photo"], "type", "type non pris en charge : « image »"),
            (["select_one oui_non or_other", "q", "Q ?"], "type", "type non pris en charge : « or_other »"),
            (["select_one_from_file communes.csv", "q", "Q ?"], "type", "type non pris en charge"),
            (["select_one inconnue", "q", "Q ?"], "type", "la liste de choix « inconnue » n'existe pas"),
            (["text", "q", "Q ?", "${absente} = 'oui'"], "relevant", "la question « absente » n'existe pas"),
            (["text", "q", "Q ?", "${apres} = 'oui'"], "relevant", "la question « apres » vient après"),
            (
                ["text", "q", "Q ?", "${seul} = 'oui' and today() > 2"],
                "relevant",
                "« today » n'est pas pris en charge",
            ),
            (["integer", "q", "Q ?", "", ". + 1 > 2"], "constraint", "« + » n'est pas compris"),
            (["text", "q", "Q ?", "", "", "${seul} = 'oui'"], "required", "obligation sous condition"),
            (["text", "q", "Q ?", "", "", "", "bonheur"], "proxima_theme", "thème « bonheur » inconnu"),
            (["text", "q", "Q ?", "", "", "", "", "argent"], "proxima_need", "besoin « argent » inconnu"),
            (["text", "seul", "Encore ?"], "name", "la question « seul » existe déjà"),
            (["text", "", "Sans nom"], "name", "nom de la question manquant"),
            (["text", "1q", "Nom invalide"], "name", "n'est pas un nom valide"),
            (["text", "q", ""], "label", "libellé de la question manquant"),
        ],
    )
    def test_located_problem(self, row, column, fragment):
        """An unsupported or wrong row gets a problem at its sheet, row and column, and nothing is read."""
        data = workbook(
            survey_rows(["select_one oui_non", "seul", "Seul ?"], row, ["text", "apres", "Après"]), CHOICES
        )
        problems = problems_of(data)
        assert any(
            p.sheet == "survey" and p.row == 3 and p.column == column and fragment in p.message for p in problems
        ), problems

    @pytest.mark.parametrize(
        ("rows", "column", "fragment"),
        [
            ([["oui_non", "oui", "Encore", ""]], "name", "la valeur « oui » figure deux fois"),
            ([["oui_non", "peut etre", "Peut-être", ""]], "name", "contient une espace"),
            ([["oui_non", "", "Sans valeur", ""]], "name", "valeur du choix manquante"),
            ([["oui_non", "nsp", "", ""]], "label", "libellé du choix manquant"),
            (
                [["oui_non", "nsp", "Je ne sais pas", "souvent"]],
                "proxima_signals_need",
                "« souvent » n'est pas compris",
            ),
        ],
    )
    def test_choices_problem(self, rows, column, fragment):
        """A wrong choice is located on the choices sheet."""
        data = workbook(survey_rows(["select_one oui_non", "seul", "Seul ?"]), CHOICES + rows)
        problems = problems_of(data)
        assert any(
            p.sheet == "choices" and p.row == 4 and p.column == column and fragment in p.message for p in problems
        )

    def test_groups(self):
        """A nested group, a repeat and an unclosed group are refused where they begin."""
        data = workbook(
            survey_rows(
                ["begin_group", "a", "A"],
                ["begin_group", "b", "B"],
                ["text", "q1", "Q1"],
                ["end_group"],
                ["end_group"],
                ["begin repeat", "r", "R"],
                ["text", "q2", "Q2"],
                ["end repeat"],
                ["begin group", "c", "C"],
                ["text", "q3", "Q3"],
            )
        )
        messages = {(p.row, p.message.split(" :")[0]) for p in problems_of(data)}
        assert (3, "groupe imbriqué non pris en charge") in messages
        assert (7, "type non pris en charge") in messages
        assert (10, "le groupe « c » n'est jamais fermé (end_group)") in messages

    def test_unsupported_column(self):
        """A column whose behaviour Proxima would not reproduce is refused on the row that uses it."""
        data = workbook(
            [["type", "name", "label", "choice_filter"], ["select_one oui_non", "q", "Q ?", "name != 'non'"]], CHOICES
        )
        (problem,) = problems_of(data)
        assert (problem.row, problem.column) == (2, "choice_filter")

    def test_every_problem_is_reported(self):
        """Problems are all collected, not only the first."""
        data = workbook(
            survey_rows(["note", "n", "Note"], ["text", "q", "Q", "${x} = 1"], ["select_one z", "s", "S"]), CHOICES
        )
        assert [(p.row, p.column) for p in problems_of(data)] == [(2, "type"), (4, "type"), (3, "relevant")]

    def test_pyxform_problem_is_located(self):
        """What only pyxform sees (here a group name that is not an XML name) is reported with its row."""
        data = workbook(survey_rows(["begin_group", "1groupe", "G"], ["text", "q", "Q"], ["end_group"]))
        (problem,) = problems_of(data)
        assert (problem.sheet, problem.row, problem.column) == ("survey", 2, "name")
        assert problem.message.startswith("pyxform : ")

    @pytest.mark.parametrize("data", [b"", b"type;name;label\ntext;q;Q\n", b"PK\x03\x04 broken"])
    def test_not_a_workbook(self, data):
        """A file that is not a readable .xlsx gets one clear problem."""
        (problem,) = problems_of(data)
        assert problem.sheet == "fichier"
        assert "n'est pas un classeur Excel (.xlsx) lisible" in problem.message

    def test_no_question(self):
        """A form of metadata only has nothing to ask."""
        data = workbook([["type", "name"], ["start", "start"], ["end", "end"]])
        assert "aucune question" in problems_of(data)[0].message

    def test_problem_reads_as_one_line(self):
        """The command line prints each problem with its place."""
        assert str(Problem("survey", 7, "relevant", "la question « x » n'existe pas")) == (
            "survey, ligne 7, colonne relevant : la question « x » n'existe pas"
        )
        assert str(Problem("fichier", None, "", "illisible")) == "fichier : illisible"


def test_imports_no_django():
    """The XLSForm module is pure: plain data in and out, testable without Django."""
    code = (
        "import sys, proxima.needs.xlsform; "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

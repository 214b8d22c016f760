"""Mapping files: the shipped example is valid, broken ones are refused with their place. No database."""

from pathlib import Path

import pytest

from proxima.imports.households import COLUMNS as HOUSEHOLD_COLUMNS
from proxima.imports.mapping import load_mapping

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "mapping-occupants.toml"


def test_documented_example_is_valid():
    mapping, issues = load_mapping(EXAMPLE, HOUSEHOLD_COLUMNS)
    assert issues == []
    assert mapping.renames["N° de bail"] == "lease_reference"
    assert mapping.value_maps["role"]["CJT"] == "spouse"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[columns]\n"A" = "nope"\n',
            "mapping.toml, colonne [columns] « A » : valeur « nope » ; attendu : l'une des colonnes",
        ),
        (
            "[columns\n",
            "mapping.toml : attendu : un fichier TOML valide (Expected ']' at the end of a table declaration (at line 1, column 9))",
        ),
        ('[values.nope]\n"A" = "b"\n', "mapping.toml, colonne [values.nope] : attendu : l'une des colonnes"),
        ('[autre]\n"A" = "b"\n', "mapping.toml, colonne [autre] : attendu : seulement les sections"),
        (
            '[values.role]\n"A" = 1\n',
            'mapping.toml, colonne [values.role] : attendu : des lignes « "valeur du fichier" = "valeur" »',
        ),
    ],
)
def test_broken_mapping(tmp_path, text, expected):
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    _, issues = load_mapping(path, HOUSEHOLD_COLUMNS)
    assert str(issues[0]).startswith(expected)

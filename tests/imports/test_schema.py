"""Parsing and checking cell values, and matching headers to columns. No database."""

import datetime as dt
from decimal import Decimal

import pytest

from proxima.imports import schema as s
from proxima.imports.reading import Formula


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("412,50", Decimal("412.50")),
        ("412.5", Decimal("412.50")),
        ("1 234,56 €", Decimal("1234.56")),
        ("1.234,56", Decimal("1234.56")),
        (412.499, Decimal("412.50")),
        (380, Decimal("380.00")),
        ("0", Decimal("0.00")),
    ],
)
def test_amount_reads_french_and_english_numbers(raw, expected):
    assert s.amount(maximum=Decimal(10000))(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("abc", "un nombre en €"), ("-5", "positif"), ("20000", "10 000")])
def test_amount_refuses(raw, expected):
    with pytest.raises(s.Invalid, match=expected):
        s.amount(maximum=Decimal(10000))(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15/03/2021", dt.date(2021, 3, 15)),
        ("5/3/2021", dt.date(2021, 3, 5)),
        ("2021-03-15", dt.date(2021, 3, 15)),
        (dt.datetime(2021, 3, 15), dt.date(2021, 3, 15)),
    ],
)
def test_date(raw, expected):
    assert s.date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2021", "2021/03/15", "15/03/21", "hier", "1850-01-01"])
def test_date_refuses(raw):
    with pytest.raises(s.Invalid, match="date"):
        s.date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("T3", "T3"), ("F4", "T4"), ("3", "T3"), ("T2 bis", "T2"), ("T7", "T6"), ("studio", "T1")],
)
def test_dwelling_kind(raw, expected):
    assert s.dwelling_kind(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("36044", "36044"), ("1053", "01053"), (1053, "01053"), ("2a004", "2A004")]
)
def test_insee_code(raw, expected):
    """A 4-digit code is the one Excel stripped of its leading zero."""
    assert s.insee_code(raw) == expected


def test_insee_code_refuses_postcode_like_values():
    with pytest.raises(s.Invalid, match="pas le code postal"):
        s.insee_code("360000")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02 54 12 34 56", "0254123456"),
        ("+33 6 39 98 12 34", "0639981234"),
        ("639981234", "0639981234"),
        ("06.39.98.12.34", "0639981234"),
    ],
)
def test_phone(raw, expected):
    assert s.phone(raw) == expected


def test_choice_accepts_french_spellings_without_accents_or_case():
    parse = s.choice({"occupied": ["occupé", "loué"], "vacant": ["vacant"]})
    assert parse("OCCUPE") == "occupied"
    assert parse("Loué") == "occupied"
    with pytest.raises(s.Invalid, match="occupé, vacant"):
        parse("parti")


def test_formula_is_refused_whatever_the_column():
    """A formula's cached value cannot be trusted: every kind of column refuses it."""
    columns = [
        s.Column(name, name, parse)
        for name, parse in [
            ("t", s.text(10)),
            ("d", s.date),
            ("b", s.boolean),
            ("i", s.insee_code),
            ("a", s.amount(maximum=Decimal(1))),
            ("p", s.phone),
        ]
    ]
    layout, _ = s.bind_columns("f.xlsx", [c.name for c in columns], columns)
    _, issues = s.parse_row("f.xlsx", 3, [Formula("=A1")] * len(columns), layout)
    assert len(issues) == len(columns)
    assert all("pas une formule" in issue.expected for issue in issues)


COLUMNS = [
    s.Column("lease_reference", "Référence bail", s.reference, aliases=("numero_bail",)),
    s.Column("rent", "Loyer", s.amount(maximum=Decimal(10000))),
    s.Column("phone", "Téléphone", s.phone, required=False, default=""),
]


class TestBindColumns:
    def test_matches_labels_names_and_aliases_ignoring_case_and_accents(self):
        layout, issues = s.bind_columns("f.csv", ["NUMERO BAIL", "loyer", "Divers"], COLUMNS)
        assert issues == []
        assert [(b.column.name, b.where) for b in layout.bindings] == [
            ("lease_reference", "A (NUMERO BAIL)"),
            ("rent", "B (loyer)"),
        ]
        assert [c.name for c in layout.missing] == ["phone"]
        assert layout.ignored == ["Divers"]

    def test_missing_required_column_is_reported(self):
        _, issues = s.bind_columns("f.csv", ["Référence bail"], COLUMNS)
        assert [str(i) for i in issues] == [
            "f.csv, ligne 1 : attendu : une colonne « Loyer » (ou « rent ») : elle est absente de l'en-tête"
        ]

    def test_renames_from_a_mapping(self):
        layout, issues = s.bind_columns(
            "f.csv",
            ["N° contrat", "Mt loyer"],
            COLUMNS,
            {"N° contrat": "lease_reference", "Mt loyer": "rent"},
        )
        assert issues == []
        assert [b.column.name for b in layout.bindings] == ["lease_reference", "rent"]

    def test_duplicate_column(self):
        _, issues = s.bind_columns("f.csv", ["Référence bail", "Loyer", "loyer"], COLUMNS)
        assert "déjà en colonne B" in str(issues[0])


def test_parse_row_reports_every_bad_cell_with_its_place():
    layout, _ = s.bind_columns("f.csv", ["Référence bail", "Loyer", "Téléphone"], COLUMNS)
    data, issues = s.parse_row("f.csv", 7, ["", "douze", "12"], layout)
    assert [str(i) for i in issues] == [
        "f.csv, ligne 7, colonne A (Référence bail) : valeur «  » ; attendu : une valeur (champ obligatoire)",
        "f.csv, ligne 7, colonne B (Loyer) : valeur « douze » ; attendu : un nombre en €, par exemple 412,50",
        "f.csv, ligne 7, colonne C (Téléphone) : valeur « 12 » ; attendu : un numéro de téléphone français à 10 "
        "chiffres, par exemple 02 54 12 34 56",
    ]


def test_parse_row_applies_value_maps_and_defaults():
    layout, _ = s.bind_columns("f.csv", ["Référence bail", "Loyer"], COLUMNS)
    data, issues = s.parse_row("f.csv", 2, ["B1", "NC"], layout, {"rent": {"NC": "0"}})
    assert issues == []
    assert data == {"lease_reference": "B1", "rent": Decimal("0.00"), "phone": ""}

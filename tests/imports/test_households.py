from decimal import Decimal

import pytest

from proxima.households.models import Household, Person
from tests.imports.conftest import edit

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(import_stock):
    assert import_stock().applied


def household_counts():
    return Household.objects.count(), Person.objects.count()


class TestValidFile:
    def test_creates_households_and_persons(self, stock, import_households):
        report = import_households()
        assert report.applied, [str(i) for i in report.issues]
        assert household_counts() == (2, 4)
        household = Household.objects.get(reference="B0002")
        assert household.dwelling.reference == "L0003"
        assert (household.arrears_amount, household.arrears_months) == (Decimal("910.20"), 2)
        assert household.has_car is True
        assert household.contact_channel == "sms"
        assert sorted(household.persons.values_list("first_name", "role")) == [
            ("Emma", "child"),
            ("Kevin", "reference"),
            ("Laura", "spouse"),
        ]
        jeanne = Person.objects.get(first_name="Jeanne")
        assert (jeanne.birth_year, jeanne.phone) == (1941, "0261911234")
        assert Household.objects.get(reference="B0001").has_car is False

    def test_second_import_changes_nothing(self, stock, import_households):
        import_households()
        before = list(Person.objects.order_by("pk").values())
        report = import_households()
        assert vars(report.counts["households"]) == {"created": 0, "updated": 0, "unchanged": 2, "deleted": 0}
        assert vars(report.counts["persons"]) == {"created": 0, "updated": 0, "unchanged": 4, "deleted": 0}
        assert list(Person.objects.order_by("pk").values()) == before

    def test_person_who_left_is_removed_and_newcomer_added(self, stock, import_households, tmp_path):
        """The export is the household as it is now: who left is removed, who arrived is added."""
        import_households()
        path = edit(
            tmp_path,
            "households.csv",
            replace=[("Dubois;Laura;2001;conjoint;", "Dubois;Noah;2026;enfant;")],
        )
        report = import_households(path)
        assert vars(report.counts["persons"]) == {"created": 1, "updated": 0, "unchanged": 3, "deleted": 1}
        assert sorted(Household.objects.get(reference="B0002").persons.values_list("first_name", flat=True)) == [
            "Emma",
            "Kevin",
            "Noah",
        ]

    def test_persons_are_matched_ignoring_case_and_accents(self, stock, import_households, tmp_path):
        """A spelling change of case or accents updates the person instead of replacing them."""
        import_households()
        jeanne = Person.objects.get(first_name="Jeanne")
        path = edit(tmp_path, "households.csv", replace=[("Martin;Jeanne;1941", "MARTIN;JEANNE;1941")])
        report = import_households(path)
        assert vars(report.counts["persons"])["updated"] == 1
        jeanne.refresh_from_db()
        assert jeanne.last_name == "MARTIN"

    def test_rows_of_one_household_need_not_be_contiguous(self, stock, import_households, tmp_path):
        path = edit(
            tmp_path,
            "households.csv",
            append="B0001;L0001;15/03/2004;382,10;96,00;0;0;non;téléphone;Martin;Lucien;1939;conjoint;\n",
        )
        report = import_households(path, chunk_size=2)
        assert report.applied
        assert Household.objects.get(reference="B0001").persons.count() == 2


class TestBadFiles:
    @pytest.mark.parametrize(
        ("replace", "message"),
        [
            (
                [("B0001;L0001", "B0001;L9999")],
                "households.csv, ligne 2, colonne B (Référence logement) : logement inconnu ; valeur « L9999 » ; "
                "attendu : la référence d'un logement du patrimoine (importez d'abord le patrimoine)",
            ),
            (
                [("Dubois;Emma;2023;enfant;", "Dubois;Emma;2023;neveu;")],
                "households.csv, ligne 5, colonne M (Rôle) : valeur « neveu » ; attendu : l'une des valeurs : "
                "titulaire, cotitulaire, conjoint, enfant, autre",
            ),
            (
                [
                    (
                        "01/09/2024;455;120;910,20;2;oui;SMS;Dubois;Laura",
                        "01/10/2024;455;120;910,20;2;oui;SMS;Dubois;Laura",
                    )
                ],
                "households.csv, ligne 4, colonne C (Date d'entrée) : valeur différente pour le même bail ; valeur "
                "« 01/10/2024 » ; attendu : la même valeur qu'à la ligne 3 pour le bail B0002",
            ),
            (
                [("Dubois;Emma;2023", "Dubois;Laura;2001")],
                "households.csv, ligne 5, colonne J (Nom) : personne déjà vue ligne 4",
            ),
            (
                [("B0001;L0001;15/03/2004;382,10;96,00;0;0", "B0001;L0001;15/03/2004;382,10;96,00;0;3")],
                "households.csv, ligne 2, colonne G (Mois d'impayés) : mois d'impayés sans montant impayé",
            ),
            (
                [("B0001;L0001", "B0001;L0003")],
                "households.csv, ligne 3, colonne B (Référence logement) : logement déjà occupé par le bail B0001",
            ),
            (
                [("Jeanne;1941", "Jeanne;2027")],
                "households.csv, ligne 2, colonne L (Année de naissance) : valeur « 2027 » ; attendu : une année passée",
            ),
        ],
        ids=[
            "unknown-dwelling",
            "bad-role",
            "inconsistent-household",
            "duplicate-person",
            "months-without-amount",
            "two-leases-one-dwelling",
            "future-birth-year",
        ],
    )
    def test_bad_value(self, stock, import_households, tmp_path, replace, message):
        report = import_households(edit(tmp_path, "households.csv", replace=replace))
        assert not report.applied
        assert str(report.issues[0]).startswith(message), str(report.issues[0])
        assert household_counts() == (0, 0)

    def test_bad_file_leaves_existing_households_untouched(self, stock, import_households, tmp_path):
        import_households()
        before = list(Household.objects.order_by("pk").values()), list(Person.objects.order_by("pk").values())
        path = edit(
            tmp_path,
            "households.csv",
            replace=[("Dubois;Laura;2001;conjoint;", "Dubois;Laura;2001;conjoint;12")],
        )
        report = import_households(path)
        assert not report.applied
        assert (
            list(Household.objects.order_by("pk").values()),
            list(Person.objects.order_by("pk").values()),
        ) == before

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from proxima.accounts.models import AuditEvent
from proxima.territory.enums import DwellingStatus, LocationPrecision
from proxima.territory.models import Building, Dwelling, Site
from tests.imports.conftest import DATA, edit

pytestmark = pytest.mark.django_db


def stock_counts():
    return Site.objects.count(), Building.objects.count(), Dwelling.objects.count()


class TestValidFile:
    def test_creates_sites_buildings_and_dwellings(self, import_stock, landlord):
        """A valid export creates the stock, with French values read into codes."""
        report = import_stock()
        assert report.applied and report.ok
        assert stock_counts() == (2, 3, 4)
        vacant = Dwelling.objects.get(reference="L0002")
        assert vacant.organisation == landlord
        assert vacant.status == DwellingStatus.VACANT
        assert vacant.vacant_since == dt.date(2026, 9, 1)
        assert vacant.floor_area == Decimal("48.00")
        assert vacant.building.site.commune.name == "Châteauroux"
        assert Dwelling.objects.get(reference="L0004").status == DwellingStatus.UNAVAILABLE

    def test_site_without_coordinates_takes_the_commune_centre(self, import_stock):
        """A site exported without coordinates is placed at its commune's centre, and says so."""
        import_stock()
        site = Site.objects.get(reference="R002")
        assert site.location_precision == LocationPrecision.COMMUNE
        assert (site.latitude, site.longitude) == (site.commune.latitude, site.commune.longitude)

    def test_second_import_changes_nothing(self, import_stock):
        """Importing the same file twice: everything is unchanged the second time."""
        import_stock()
        before = list(Dwelling.objects.order_by("pk").values())
        report = import_stock()
        assert report.applied
        assert {k: vars(v) for k, v in report.counts.items()} == {
            "sites": {"created": 0, "updated": 0, "unchanged": 2, "deleted": 0},
            "buildings": {"created": 0, "updated": 0, "unchanged": 3, "deleted": 0},
            "dwellings": {"created": 0, "updated": 0, "unchanged": 4, "deleted": 0},
        }
        assert list(Dwelling.objects.order_by("pk").values()) == before

    def test_changed_rows_are_updated_by_reference(self, import_stock, tmp_path):
        """A new export updates what changed, matched on the landlord's references."""
        import_stock()
        path = edit(
            tmp_path,
            "stock.csv",
            replace=[("L0001;T3;65,4;382,10;PLUS;occupé;", "L0001;T3;65,4;390,00;PLUS;vacant;02/11/2026")],
        )
        report = import_stock(path)
        assert vars(report.counts["dwellings"]) == {"created": 0, "updated": 1, "unchanged": 3, "deleted": 0}
        dwelling = Dwelling.objects.get(reference="L0001")
        assert (dwelling.rent, dwelling.status, dwelling.vacant_since) == (
            Decimal("390.00"),
            "vacant",
            dt.date(2026, 11, 2),
        )

    def test_references_are_per_organisation(self, import_stock, other_landlord):
        """Two landlords may use the same references: each import touches its own stock only."""
        import_stock()
        report = import_stock(organisation=other_landlord)
        assert vars(report.counts["dwellings"])["created"] == 4
        assert Dwelling.objects.filter(organisation=other_landlord).count() == 4
        assert Dwelling.objects.count() == 8

    def test_the_import_is_audited_once(self, import_stock, landlord):
        import_stock()
        event = AuditEvent.objects.get(action="import")
        assert event.organisation == landlord
        assert event.target_type == "import.stock"
        assert event.details["counts"]["dwellings"]["created"] == 4

    def test_xlsx(self, import_stock, tmp_path):
        """The same export saved as XLSX, with numbers and dates typed by Excel."""
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for line in (DATA / "stock.csv").read_text().splitlines():
            sheet.append(line.split(";"))
        sheet["N3"] = "vacant"
        sheet["O3"] = dt.datetime(2026, 9, 1)
        sheet["K2"] = 65.4
        sheet["D2"] = 36044
        path = tmp_path / "stock.xlsx"
        workbook.save(path)
        report = import_stock(path)
        assert report.applied, [str(i) for i in report.issues]
        assert stock_counts() == (2, 3, 4)
        assert Dwelling.objects.get(reference="L0002").vacant_since == dt.date(2026, 9, 1)

    def test_latin1_semicolon_export(self, import_stock, tmp_path):
        """An export in Windows-1252, as older management software writes them."""
        report = import_stock(edit(tmp_path, "stock.csv", encoding="cp1252"))
        assert report.applied
        assert Site.objects.get(reference="R001").name == "Les Tilleuls"
        assert Building.objects.get(reference="R001-B1").address == "12 rue des Tilleuls"

    def test_mapping_file(self, import_stock, tmp_path):
        """A mapping renames the columns and values of another software's export."""
        path = edit(tmp_path, "stock.csv", replace=[("Référence logement", "Code lgt"), ("occupé", "LOUE")])
        mapping = tmp_path / "mapping.toml"
        mapping.write_text('[columns]\n"Code lgt" = "dwelling_reference"\n[values.status]\nLOUE = "occupied"\n')
        report = import_stock(path, mapping_path=mapping)
        assert report.applied, [str(i) for i in report.issues]
        assert Dwelling.objects.get(reference="L0001").status == "occupied"


class TestBadFiles:
    """Each bad file gets a located message, and nothing is written."""

    @pytest.mark.parametrize(
        ("replace", "message"),
        [
            (
                [("36044;46.8103", "36999;46.8103")],
                "stock.csv, ligne 2, colonne D (Code INSEE commune) : commune inconnue ; valeur « 36999 » ; "
                "attendu : le code INSEE d'une commune du Code officiel géographique 2026",
            ),
            (
                [("vacant;01/09/2026", "vacant;31/09/2026")],
                "stock.csv, ligne 3, colonne O (Vacant depuis) : valeur « 31/09/2026 » ; attendu : une date "
                "JJ/MM/AAAA ou AAAA-MM-JJ, par exemple 15/03/2021",
            ),
            (
                [("L0003", "L0002")],
                "stock.csv, ligne 4, colonne I (Référence logement) : référence déjà vue ligne 3 ; valeur « L0002 » ; "
                "attendu : une référence de logement unique dans le fichier",
            ),
            (
                [("vacant;01/09/2026", "vacant;")],
                "stock.csv, ligne 3, colonne O (Vacant depuis) : date manquante ; valeur «  » ; attendu : la date de "
                "début de vacance d'un logement vacant",
            ),
            (
                [("46.8103;1.6913;R001-B2", "1.6913;46.8103;R001-B2")],
                "stock.csv, ligne 4, colonne E (Latitude) : position à",
            ),
            (
                [
                    (
                        "R001;Les Tilleuls;12 rue des Tilleuls;36044;46.8103;1.6913;R001-B2",
                        "R001;Les Tilleuls;14 rue des Tilleuls;36044;46.8103;1.6913;R001-B2",
                    )
                ],
                "stock.csv, ligne 4, colonne C (Adresse résidence) : valeur différente pour la même résidence ; "
                "valeur « 14 rue des Tilleuls » ; attendu : la même valeur qu'à la ligne 2 pour la résidence R001",
            ),
            (
                [("L0004;T1;31;", "L0004;T1;-31;")],
                "stock.csv, ligne 5, colonne K (Surface habitable) : valeur « -31 » ; attendu : un nombre positif",
            ),
        ],
        ids=[
            "unknown-commune",
            "bad-date",
            "duplicate-reference",
            "vacant-without-date",
            "swapped-coordinates",
            "inconsistent-site",
            "negative-area",
        ],
    )
    def test_bad_value(self, import_stock, tmp_path, replace, message):
        report = import_stock(edit(tmp_path, "stock.csv", replace=replace))
        assert not report.applied
        assert [str(i) for i in report.issues][0].startswith(message)
        assert stock_counts() == (0, 0, 0)

    def test_missing_column(self, import_stock, tmp_path):
        path = edit(tmp_path, "stock.csv", replace=[("Typologie", "Type de bien")])
        report = import_stock(path)
        assert [str(i) for i in report.issues] == [
            "stock.csv, ligne 1 : attendu : une colonne « Typologie » (ou « kind ») : elle est absente de l'en-tête"
        ]
        assert stock_counts() == (0, 0, 0)

    def test_wrong_encoding(self, import_stock, tmp_path):
        path = tmp_path / "stock.csv"
        path.write_bytes(
            (DATA / "stock.csv").read_bytes()
            + "R003;Résidence du Château;;36044;;;R003-B1;;L0009;T2;40;250;PLUS;occupé;\n".encode("cp1252")
        )
        report = import_stock(path)
        assert [str(i) for i in report.issues] == [
            "stock.csv, ligne 6 : encodages mélangés : une partie du fichier est en UTF-8 et cette ligne ne l'est pas "
            "; attendu : un seul encodage pour tout le fichier (UTF-8, Windows-1252 ou Latin-1)"
        ]
        assert stock_counts() == (0, 0, 0)

    def test_empty_file(self, import_stock, tmp_path):
        path = tmp_path / "stock.csv"
        path.write_bytes(b"")
        report = import_stock(path)
        assert [str(i) for i in report.issues] == [
            "stock.csv : fichier vide ; attendu : une ligne d'en-tête puis des lignes de données"
        ]

    def test_header_only(self, import_stock, tmp_path):
        path = tmp_path / "stock.csv"
        path.write_text((DATA / "stock.csv").read_text().splitlines()[0] + "\n")
        report = import_stock(path)
        assert [str(i) for i in report.issues] == [
            "stock.csv : aucune ligne ; attendu : au moins une ligne de données"
        ]
        assert not report.applied

    def test_xlsx_with_a_formula(self, import_stock, tmp_path):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for line in (DATA / "stock.csv").read_text().splitlines():
            sheet.append(line.split(";"))
        sheet["L3"] = "=K3*6.2"
        path = tmp_path / "stock.xlsx"
        workbook.save(path)
        report = import_stock(path)
        assert [str(i) for i in report.issues] == [
            "stock.xlsx, ligne 3, colonne L (Loyer) : valeur « =K3*6.2 » ; attendu : une valeur saisie, pas une "
            "formule (copier puis « collage spécial > valeurs » dans Excel)"
        ]
        assert stock_counts() == (0, 0, 0)

    def test_an_error_in_the_last_chunk_undoes_the_first_chunks(self, import_stock, tmp_path):
        """All or nothing even when earlier chunks were already sent to the database."""
        path = edit(tmp_path, "stock.csv", replace=[("L0004;T1;31;", "L0004;T1;trente;")])
        report = import_stock(path, chunk_size=1)
        assert report.rows_invalid == 1
        assert stock_counts() == (0, 0, 0)

    def test_bad_mapping_file(self, import_stock, tmp_path):
        mapping = tmp_path / "mapping.toml"
        mapping.write_text('[columns]\n"Code lgt" = "logement"\n')
        report = import_stock(mapping_path=mapping)
        assert str(report.issues[0]).startswith(
            "mapping.toml, colonne [columns] « Code lgt » : valeur « logement » ; attendu : l'une des colonnes : "
        )
        assert stock_counts() == (0, 0, 0)


class TestSkipInvalid:
    def test_writes_valid_rows_and_reports_the_others(self, import_stock, tmp_path):
        path = edit(tmp_path, "stock.csv", replace=[("36044;46.8103;1.6913;R001-B2", "36999;46.8103;1.6913;R001-B2")])
        report = import_stock(path, skip_invalid=True)
        assert report.applied
        assert report.rows_invalid == 1
        assert "ligne 4" in str(report.issues[0])
        assert set(Dwelling.objects.values_list("reference", flat=True)) == {"L0001", "L0002", "L0004"}


def test_dry_run_writes_nothing_but_counts(import_stock):
    report = import_stock(dry_run=True)
    assert report.ok and not report.applied
    assert vars(report.counts["dwellings"])["created"] == 4
    assert vars(report.counts["sites"])["created"] == 2
    assert stock_counts() == (0, 0, 0)

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from proxima import cli
from proxima.accounts.models import AuditEvent
from proxima.households.models import Household, Person
from proxima.territory.models import Building, Dwelling, Site
from tests.accounts.factories import OrganisationFactory
from tests.imports.conftest import DATA, edit

pytestmark = pytest.mark.django_db

UNKNOWN_COMMUNE = [("36044;46.8103;1.6913;R001-B2", "36999;46.8103;1.6913;R001-B2")]


def stock_counts():
    return Site.objects.count(), Building.objects.count(), Dwelling.objects.count()


def run(*args):
    """Run ``proxima import``; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("import", *map(str, args), "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class TestStock:
    def test_success_prints_the_summary(self, landlord):
        """A valid file is imported and the command says what it did."""
        out, err = run("stock", DATA / "stock.csv", "--organisation", landlord.slug)
        assert stock_counts() == (2, 3, 4)
        assert Dwelling.objects.filter(organisation=landlord).count() == 4
        assert out.splitlines() == [
            "stock.csv : import terminé.",
            "Lignes lues : 4 ; valides : 4 ; invalides : 0.",
            "Résidences : 2 créé(s), 0 modifié(s), 0 inchangé(s).",
            "Bâtiments : 3 créé(s), 0 modifié(s), 0 inchangé(s).",
            "Logements : 4 créé(s), 0 modifié(s), 0 inchangé(s).",
        ]
        assert err == ""

    def test_the_command_is_audited(self, landlord):
        """The import is recorded once in the audit log, as done by the command."""
        run("stock", DATA / "stock.csv", "--organisation", landlord.slug)
        event = AuditEvent.objects.get(action="import")
        assert event.organisation == landlord
        assert event.target_type == "import.stock"

    def test_second_run_reports_unchanged_rows(self, landlord):
        """Running the same import again reports every row unchanged."""
        run("stock", DATA / "stock.csv", "--organisation", landlord.slug)
        out, _ = run("stock", DATA / "stock.csv", "--organisation", landlord.slug)
        assert "Logements : 0 créé(s), 0 modifié(s), 4 inchangé(s)." in out.splitlines()

    def test_bad_file_exits_with_status_1(self, landlord, tmp_path):
        """A bad file: status 1, the located error on stderr, and nothing written."""
        path = edit(tmp_path, "stock.csv", replace=UNKNOWN_COMMUNE)
        out, err = StringIO(), StringIO()
        with pytest.raises(SystemExit) as exc_info:
            call_command(
                "import", "stock", str(path), "--organisation", landlord.slug, "--no-progress", stdout=out, stderr=err
            )
        assert exc_info.value.code == 1
        assert (
            err.getvalue()
            .splitlines()[0]
            .startswith("stock.csv, ligne 4, colonne D (Code INSEE commune) : commune inconnue ; valeur « 36999 »")
        )
        assert "stock.csv : 1 erreur(s), rien n'a été enregistré." in out.getvalue()
        assert stock_counts() == (0, 0, 0)
        assert not AuditEvent.objects.filter(action="import").exists()

    def test_dry_run_writes_nothing_and_exits_normally(self, landlord):
        """``--dry-run`` checks a valid file, says what it would do, and writes nothing."""
        out, err = run("stock", DATA / "stock.csv", "--organisation", landlord.slug, "--dry-run")
        assert out.splitlines()[0] == "stock.csv : fichier valide (essai à blanc, rien n'a été enregistré)."
        assert "Logements (prévu) : 4 créé(s), 0 modifié(s), 0 inchangé(s)." in out.splitlines()
        assert err == ""
        assert stock_counts() == (0, 0, 0)

    def test_dry_run_of_a_bad_file_exits_with_status_1(self, landlord, tmp_path):
        """A dry run of a bad file fails like the real import."""
        path = edit(tmp_path, "stock.csv", replace=UNKNOWN_COMMUNE)
        with pytest.raises(SystemExit) as exc_info:
            run("stock", path, "--organisation", landlord.slug, "--dry-run")
        assert exc_info.value.code == 1
        assert stock_counts() == (0, 0, 0)

    def test_json_report(self, landlord):
        """``--json`` prints the whole report as JSON."""
        out, _ = run("stock", DATA / "stock.csv", "--organisation", landlord.slug, "--json")
        report = json.loads(out)
        assert report["applied"] is True
        assert report["kind"] == "stock"
        assert report["file"] == "stock.csv"
        assert (report["rows_read"], report["rows_invalid"], report["issues"]) == (4, 0, [])
        assert report["counts"]["dwellings"] == {"created": 4, "updated": 0, "unchanged": 0, "deleted": 0}

    def test_json_report_of_a_bad_file(self, landlord, tmp_path):
        """``--json`` of a bad file lists the located issues, and the command fails."""
        path = edit(tmp_path, "stock.csv", replace=UNKNOWN_COMMUNE)
        out = StringIO()
        with pytest.raises(SystemExit):
            call_command(
                "import",
                "stock",
                str(path),
                "--organisation",
                landlord.slug,
                "--json",
                "--no-progress",
                stdout=out,
                stderr=StringIO(),
            )
        report = json.loads(out.getvalue())
        assert report["applied"] is False
        assert report["issues_total"] == 1
        assert report["issues"][0]["line"] == 4

    def test_skip_invalid_writes_the_valid_rows(self, landlord, tmp_path):
        """``--skip-invalid`` writes the valid rows and reports the others."""
        path = edit(tmp_path, "stock.csv", replace=UNKNOWN_COMMUNE)
        out, err = run("stock", path, "--organisation", landlord.slug, "--skip-invalid")
        assert set(Dwelling.objects.values_list("reference", flat=True)) == {"L0001", "L0002", "L0004"}
        assert "ligne 4" in err
        assert out.splitlines()[0] == "stock.csv : import terminé."
        assert "1 ligne(s) invalide(s) ignorée(s) (--skip-invalid)." in out.splitlines()

    def test_mapping_option(self, landlord, tmp_path):
        """``--mapping`` reads another software's column names."""
        path = edit(tmp_path, "stock.csv", replace=[("Référence logement", "Code lgt")])
        mapping = tmp_path / "mapping.toml"
        mapping.write_text('[columns]\n"Code lgt" = "dwelling_reference"\n')
        run("stock", path, "--organisation", landlord.slug, "--mapping", mapping)
        assert stock_counts() == (2, 3, 4)

    def test_missing_file_exits_with_status_1(self, landlord, tmp_path):
        """A file that does not exist is reported, not a traceback."""
        with pytest.raises(SystemExit) as exc_info:
            run("stock", tmp_path / "absent.csv", "--organisation", landlord.slug)
        assert exc_info.value.code == 1


class TestOrganisation:
    def test_unknown_organisation(self):
        """An unknown slug is a command error, not a traceback."""
        with pytest.raises(CommandError, match="Aucun bailleur d'identifiant « inconnu »"):
            run("stock", DATA / "stock.csv", "--organisation", "inconnu")
        assert stock_counts() == (0, 0, 0)

    def test_partner_is_not_a_landlord(self):
        """Only a landlord's stock can be imported."""
        partner = OrganisationFactory(slug="asso", partner=True)
        with pytest.raises(CommandError, match="« asso »"):
            run("stock", DATA / "stock.csv", "--organisation", partner.slug)

    def test_organisation_is_required(self):
        """``--organisation`` is mandatory."""
        with pytest.raises(CommandError, match="--organisation"):
            call_command("import", "stock", str(DATA / "stock.csv"), stdout=StringIO(), stderr=StringIO())

    def test_unknown_kind(self, landlord):
        """Only stock and households can be imported."""
        with pytest.raises(CommandError, match="invalid choice"):
            run("tenants", DATA / "stock.csv", "--organisation", landlord.slug)


class TestHouseholds:
    def test_households_after_stock(self, landlord):
        """Households are imported into the stock imported before."""
        run("stock", DATA / "stock.csv", "--organisation", landlord.slug)
        out, err = run("households", DATA / "households.csv", "--organisation", landlord.slug)
        assert out.splitlines()[0] == "households.csv : import terminé."
        assert err == ""
        assert Household.objects.filter(organisation=landlord).count() == 2
        assert Person.objects.count() == 4

    def test_households_without_stock_fail(self, landlord):
        """Households of unknown dwellings are refused and nothing is written."""
        with pytest.raises(SystemExit) as exc_info:
            run("households", DATA / "households.csv", "--organisation", landlord.slug)
        assert exc_info.value.code == 1
        assert not Household.objects.exists()


class TestEntryPoint:
    @pytest.fixture(autouse=True)
    def _keep_connection(self, monkeypatch):
        # A command run from the command line closes the database connections when it ends,
        # which would end the test's transaction on PostgreSQL.
        monkeypatch.setattr(connections, "close_all", lambda: None)

    def test_hyphens_in_the_command_name(self, capsys):
        """``proxima load-reference-data`` runs the ``load_reference_data`` command."""
        cli.main(["proxima", "load-reference-data"])
        assert "Données de référence déjà à jour." in capsys.readouterr().out

    def test_underscores_still_work(self, capsys):
        """``proxima load_reference_data`` is the same command."""
        cli.main(["proxima", "load_reference_data"])
        assert "déjà à jour" in capsys.readouterr().out

    def test_arguments_are_passed_unchanged(self, landlord, capsys):
        """Only the command name is rewritten: the arguments and options after it are passed as given."""
        cli.main(
            [
                "proxima",
                "import",
                "stock",
                str(DATA / "stock.csv"),
                "--organisation",
                landlord.slug,
                "--dry-run",
                "--no-progress",
            ]
        )
        assert capsys.readouterr().out.startswith("stock.csv : fichier valide")
        assert stock_counts() == (0, 0, 0)

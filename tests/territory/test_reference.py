import math
import shutil
from io import StringIO

import pytest
from django.core.management import call_command

from proxima.territory import reference
from proxima.territory.models import (
    Commune,
    Department,
    Epci,
    FranceServicesSite,
    ReferenceDataset,
    Region,
)
from proxima.territory.reference import load_reference_data, reference_data_loaded

pytestmark = pytest.mark.django_db

TABLES = [Region, Department, Epci, Commune, FranceServicesSite, ReferenceDataset]


def row_counts():
    return {model.__name__: model.objects.count() for model in TABLES}


def km(lat1, lon1, lat2, lon2):
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


class TestLoadReferenceData:
    def test_unchanged_files_are_a_no_op(self):
        """The session already loaded the files: loading them again does nothing and says so."""
        assert reference_data_loaded()
        before = row_counts()
        assert load_reference_data() == {}
        assert row_counts() == before

    def test_unchanged_files_leave_edited_rows_alone(self):
        """Without ``force``, unchanged files are not read again: a row changed since stays changed."""
        Commune.objects.filter(code="36044").update(name="Châteauroux (modifié)")
        assert load_reference_data() == {}
        assert Commune.objects.get(code="36044").name == "Châteauroux (modifié)"

    def test_force_reloads_and_counts_rows(self):
        """``force`` reloads every table and returns the number of rows of each file."""
        counts = load_reference_data(force=True)
        assert counts["communes"] == 35014
        assert counts["departments"] == 109
        assert counts["regions"] == 26
        assert counts["france_services"] == 2845
        assert counts["epcis"] > 1000

    def test_force_is_idempotent(self):
        """Reloading the same files leaves exactly the same rows."""
        before = row_counts()
        communes = list(Commune.objects.order_by("code").values())
        load_reference_data(force=True)
        assert row_counts() == before
        assert list(Commune.objects.order_by("code").values()) == communes

    def test_force_restores_edited_rows(self):
        """A forced reload puts back what the files say."""
        Commune.objects.filter(code="36044").update(name="Châteauroux (modifié)", zone_abc="A", is_low_demand=False)
        load_reference_data(force=True)
        commune = Commune.objects.get(code="36044")
        assert (commune.name, commune.zone_abc, commune.is_low_demand) == ("Châteauroux", "B2", True)

    def test_a_changed_file_is_loaded_without_force(self, tmp_path, monkeypatch):
        """A newer file (another SHA-256) replaces the rows it describes."""
        data = tmp_path / "data"
        shutil.copytree(reference.DATA_DIR, data)
        communes = data / reference.FILES["communes"]
        text = communes.read_text(encoding="utf-8")
        assert "36044,Châteauroux," in text
        communes.write_text(text.replace("36044,Châteauroux,", "36044,Châteauroux-en-Berry,", 1), encoding="utf-8")
        monkeypatch.setattr(reference, "DATA_DIR", data)
        assert not reference_data_loaded()
        counts = load_reference_data()
        assert counts["communes"] == 35014
        assert Commune.objects.get(code="36044").name == "Châteauroux-en-Berry"
        assert reference_data_loaded()
        assert ReferenceDataset.objects.count() == 1


class TestCommunes:
    def test_chateauroux_is_low_demand(self):
        """Châteauroux is zone B2: a low-demand territory."""
        commune = Commune.objects.get(code="36044")
        assert commune.name == "Châteauroux"
        assert commune.zone_abc == "B2"
        assert commune.is_low_demand
        assert commune.department.code == "36"
        assert commune.department.region.code == "24"

    def test_paris_is_not_low_demand(self):
        """Paris is zone A bis: not a low-demand territory."""
        commune = Commune.objects.get(code="75056")
        assert commune.zone_abc == "Abis"
        assert not commune.is_low_demand

    def test_zone_c_commune_is_low_demand(self):
        """A village in zone C is a low-demand territory."""
        commune = Commune.objects.get(code="01001")
        assert commune.name == "L'Abergement-Clémenciat"
        assert commune.zone_abc == "C"
        assert commune.is_low_demand

    def test_low_demand_queryset_is_b2_and_c(self):
        """``low_demand()`` is exactly the communes of zones B2 and C."""
        low = Commune.objects.low_demand()
        assert set(low.values_list("zone_abc", flat=True).distinct()) == {"B2", "C"}
        assert low.count() == Commune.objects.filter(zone_abc__in=["B2", "C"]).count()

    def test_overseas_collectivity_commune_has_no_zone(self):
        """Communes of an overseas collectivity (COM) are outside the ABC zonage."""
        commune = Commune.objects.get(code="98411")
        assert commune.department.code == "984"
        assert commune.zone_abc == ""
        assert not commune.is_low_demand
        assert not Commune.objects.filter(code__startswith="98").exclude(zone_abc="").exists()

    def test_epci_is_attached(self):
        """A commune is linked to its EPCI, with the EPCI's name and kind."""
        epci = Commune.objects.get(code="36044").epci
        assert epci.siren == "243600327"
        assert "Châteauroux" in epci.name
        assert epci.kind == "CA"

    def test_populations_and_positions(self):
        """Population and centre come from the file."""
        commune = Commune.objects.get(code="36044")
        assert commune.population == 42963
        assert (commune.latitude, commune.longitude) == (46.80296, 1.694)


class TestFranceServices:
    def test_every_site_has_coordinates(self):
        """All 2,845 France services sites have a position."""
        assert FranceServicesSite.objects.count() == 2845
        assert not FranceServicesSite.objects.filter(latitude__isnull=True).exists()
        assert not FranceServicesSite.objects.filter(longitude__isnull=True).exists()

    def test_site_is_linked_to_its_commune(self):
        """A site is linked to its commune and lies close to it."""
        site = FranceServicesSite.objects.get(id=2602)
        assert site.name == "France services La Poste de Châteauroux - Saint-Jean"
        assert site.address == "rue Eugène Delacroix Centre commercial Saint-Jean"
        assert site.commune_id == "36044"
        assert site.format == "Fixe"
        assert km(site.latitude, site.longitude, site.commune.latitude, site.commune.longitude) < 5

    def test_sites_of_merged_communes_are_kept_without_commune(self):
        """The few sites whose commune code no longer exists are kept, without a commune."""
        assert 0 < FranceServicesSite.objects.filter(commune__isnull=True).count() <= 3


class TestCommand:
    def test_prints_already_up_to_date(self):
        """With unchanged files the command says the data is already up to date."""
        out = StringIO()
        call_command("load_reference_data", stdout=out)
        assert "déjà à jour" in out.getvalue()

    def test_force_prints_the_counts(self):
        """``--force`` reloads and prints the number of rows per table."""
        out = StringIO()
        call_command("load_reference_data", "--force", stdout=out)
        assert "communes : 35014 lignes" in out.getvalue()
        assert "france_services : 2845 lignes" in out.getvalue()
        assert "déjà à jour" not in out.getvalue()

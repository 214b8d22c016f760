import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from proxima.accounts.enums import AuditAction
from proxima.accounts.models import AuditEvent
from proxima.billing.enums import BillingMode
from proxima.offer import exports
from proxima.offer.enums import OperatingMode, ServiceStatus
from proxima.territory.models import Commune
from tests.agency.factories import StopFactory
from tests.offer.factories import PartnerFactory, ServiceFactory, ServiceHoursFactory
from tests.offer.schemas import errors
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def catalogue(landlord, other_landlord):
    """Two partners (one rendering nothing open), open, draft, ended and future services, and another landlord's."""
    landlord.siret = "13003013300016"
    landlord.save()
    ccas = PartnerFactory(
        organisation=landlord,
        ccas=True,
        name="CCAS de Châteauroux",
        siret="73282932000074",
        website="https://www.chateauroux-metropole.fr",
    )
    idle = PartnerFactory(organisation=landlord, name="Association sans service ouvert")
    wifi = ServiceFactory(
        organisation=landlord,
        partner=ccas,
        operating_mode=OperatingMode.COORDINATOR,
        name="Wi-Fi à tarif négocié",
        kind="aide-materielle",
        billing_mode=BillingMode.COLLECTIVE_AGREEMENT,
        price=Decimal("9.90"),
        price_details="par mois",
        themes=["numerique--acceder-a-une-connexion-internet"],
        publics=["locataires-hlm"],
        in_communes=["36044", "36088"],
        contact_phone="02 54 08 33 00",
    )
    ServiceHoursFactory(service=wifi, weekday=0, opens=dt.time(9), closes=dt.time(12))
    site = SiteFactory(organisation=landlord, commune=Commune.objects.get(code="36088"), address="2 rue du Stade")
    concierge = ServiceFactory(
        organisation=landlord,
        own=True,
        name="Conciergerie solidaire",
        address="",
        address_commune=None,
        publics=["tous-publics"],
        themes=["bailleur--conciergerie", "remobilisation--lien-social"],
        start_date=dt.date(2026, 1, 1),
    )
    concierge.sites.add(site)
    concierge.stops.add(StopFactory(organisation=landlord, commune=Commune.objects.get(code="36063")))
    ServiceFactory(organisation=landlord, partner=idle, draft=True)
    ServiceFactory(organisation=landlord, partner=idle, status=ServiceStatus.ENDED)
    ServiceFactory(organisation=landlord, partner=idle, start_date=dt.date(2026, 9, 1))
    ServiceFactory(organisation=other_landlord)
    return {"ccas": ccas, "wifi": wifi, "concierge": concierge, "site": site}


class TestExportDataInclusion:
    def test_every_object_passes_the_official_schemas(self, landlord, catalogue):
        """Each exported structure and service validates against data·inclusion's JSON schemas."""
        structures, services = exports.export_data_inclusion(landlord, today=TODAY)
        for structure in structures:
            assert errors("structure.json", structure) == [], structure["id"]
        for service in services:
            assert errors("service.json", service) == [], service["id"]

    def test_open_services_and_their_structures(self, landlord, catalogue):
        """Only services open today; the landlord and the partners rendering them, nobody else."""
        structures, services = exports.export_data_inclusion(landlord, today=TODAY)
        ccas = catalogue["ccas"].pk
        assert [s["id"] for s in structures] == ["proxima-hlm-a--bailleur", f"proxima-hlm-a--partenaire-{ccas}"]
        assert sorted(s["nom"] for s in services) == ["Conciergerie solidaire", "Wi-Fi à tarif négocié"]
        by_name = {s["nom"]: s for s in services}
        assert by_name["Conciergerie solidaire"]["structure_id"] == "proxima-hlm-a--bailleur"
        assert by_name["Wi-Fi à tarif négocié"]["structure_id"] == f"proxima-hlm-a--partenaire-{ccas}"
        landlord_structure, partner_structure = structures
        assert landlord_structure["siret"] == "13003013300016"
        assert partner_structure["reseaux_porteurs"] == ["ccas-cias"]
        assert partner_structure["code_insee"] == "36044"
        assert partner_structure["code_postal"] == "36000"

    def test_service_fields(self, landlord, catalogue):
        """Price, zone, hours, publics and place are mapped from the catalogue."""
        _, services = exports.export_data_inclusion(landlord, today=TODAY)
        by_name = {s["nom"]: s for s in services}
        wifi = by_name["Wi-Fi à tarif négocié"]
        assert wifi["frais"] == "payant"
        assert wifi["frais_precisions"] == "Accord collectif : 9,90 € par mois"
        assert wifi["zone_eligibilite"] == ["36044", "36088"]
        assert wifi["horaires_accueil"] == "Mo 09:00-12:00"
        assert wifi["publics"] is None
        assert wifi["publics_precisions"] == "Publics visés : locataires du parc social."
        assert wifi["telephone"] == "+33254083300"
        concierge = by_name["Conciergerie solidaire"]
        assert concierge["publics"] == ["tous-publics"]
        assert concierge["thematiques"] == ["remobilisation--lien-social"]
        assert concierge["zone_eligibilite"] == ["36063", "36088"]  # its site's and its stop's communes
        assert concierge["adresse"] is None  # a site and a stop: no single place to give

    def test_single_site_is_the_place(self, landlord, catalogue):
        """A service at one site only is located there."""
        concierge = catalogue["concierge"]
        concierge.stops.clear()
        _, services = exports.export_data_inclusion(landlord, today=TODAY)
        found = next(s for s in services if s["nom"] == "Conciergerie solidaire")
        assert (found["adresse"], found["code_insee"], found["latitude"]) == ("2 rue du Stade", "36088", 46.81)
        assert errors("service.json", found) == []

    def test_source_can_be_chosen(self, landlord, catalogue):
        """A landlord already known to data·inclusion under another name keeps it."""
        structures, _ = exports.export_data_inclusion(landlord, today=TODAY, source="hlm-indre")
        assert structures[0]["id"] == "hlm-indre--bailleur"

    def test_empty_catalogue(self, landlord):
        """A landlord with no open service exports itself and no service, still valid."""
        structures, services = exports.export_data_inclusion(landlord, today=TODAY)
        assert services == []
        assert [s["nom"] for s in structures] == ["HLM A"]
        assert errors("structure.json", structures[0]) == []


class TestExportCommand:
    def test_writes_both_files(self, landlord, catalogue, tmp_path, capsys):
        """`proxima export data-inclusion` writes two JSON arrays and records the export."""
        out = tmp_path / "di"
        call_command("export", "data-inclusion", "--organisation", "hlm-a", "-o", str(out), "--date", "2026-06-15")
        structures = json.loads((out / "structures.json").read_text(encoding="utf-8"))
        services = json.loads((out / "services.json").read_text(encoding="utf-8"))
        assert (len(structures), len(services)) == (2, 2)
        assert all(errors("service.json", s) == [] for s in services)
        assert "2 structure(s)" in capsys.readouterr().out
        event = AuditEvent.objects.get(action=AuditAction.EXPORT, target_type="offer.Service")
        assert event.details["services"] == 2

    def test_hyphenated_name_through_the_cli(self, landlord, tmp_path, monkeypatch):
        """The documented spelling `proxima export data-inclusion` reaches the command."""
        from proxima import cli

        cli.main(["proxima", "export", "data-inclusion", "--organisation", "hlm-a", "-o", str(tmp_path)])
        assert json.loads((tmp_path / "services.json").read_text()) == []

    def test_unknown_organisation(self, tmp_path):
        """An unknown slug is named in the error, and nothing is written."""
        with pytest.raises(CommandError, match="« inconnu »"):
            call_command("export", "data-inclusion", "--organisation", "inconnu", "-o", str(tmp_path / "x"))
        assert not (tmp_path / "x").exists()

    def test_output_is_a_file(self, landlord, tmp_path):
        """An output path that is a file is refused with a clear message."""
        target = tmp_path / "fichier"
        target.write_text("")
        with pytest.raises(CommandError, match="n'est pas un dossier"):
            call_command("export", "data-inclusion", "--organisation", "hlm-a", "-o", str(target))

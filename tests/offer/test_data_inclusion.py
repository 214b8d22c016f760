import datetime as dt
import json

import pytest

from proxima.offer import reference
from proxima.offer.data_inclusion import (
    Place,
    ServiceRecord,
    StructureRecord,
    e164,
    export_catalogue,
    opening_hours,
    service_dict,
    split_publics,
    structure_dict,
)
from tests.offer.schemas import SCHEMA_FILES, errors, registry

SOURCE = "proxima-hlm-test"
DAY = dt.date(2026, 6, 15)
CHATEAUROUX = Place(
    address="3 place de la République", commune_code="36044", commune_name="Châteauroux", postcode="36000"
)


def service(**fields) -> ServiceRecord:
    values = {
        "local_id": "service-1",
        "structure_local_id": "partenaire-1",
        "name": "Atelier numérique",
        "description": "Apprendre à se servir d'une tablette, en petit groupe.",
        "updated_on": DAY,
    }
    values.update(fields)
    return ServiceRecord(**values)


class TestShippedSchemas:
    def test_refs_stay_in_the_files(self):
        """Every $ref of the shipped schemas resolves from the shipped files: no network at validation."""

        def refs(node):
            if isinstance(node, dict):
                if "$ref" in node:
                    yield node["$ref"]
                for value in node.values():
                    yield from refs(value)
            elif isinstance(node, list):
                for value in node:
                    yield from refs(value)

        for name in SCHEMA_FILES:
            resolver = registry().resolver(base_uri=name)
            for ref in refs(registry().contents(name)):
                assert resolver.lookup(ref).contents, f"{name}: {ref}"

    @pytest.mark.parametrize(
        ("schema", "definition", "extra"),
        [
            ("service.json", "Thematique", "thematiques"),
            ("service.json", "Public", "publics"),
            ("service.json", "TypeService", "types-de-services"),
            ("service.json", "Frais", "frais"),
            ("service.json", "ModeAccueil", "modes-accueil"),
            ("service.json", "ModeMobilisation", "modes-mobilisation"),
            ("service.json", "PersonneMobilisatrice", "personnes-mobilisatrices"),
            ("structure.json", "ReseauPorteur", "reseaux-porteurs"),
        ],
    )
    def test_lists_match_the_schemas(self, schema, definition, extra):
        """The reference lists the forms offer are exactly the values the schemas accept."""
        enum = registry().contents(schema)["$defs"][definition]["enum"]
        assert set(enum) == set(reference.di_values(extra))

    def test_landlord_codes_are_not_data_inclusion_codes(self):
        """The landlord's own themes and publics never collide with the reference lists."""
        assert not set(reference.LANDLORD_THEMES) & set(reference.di_values("thematiques"))
        assert not set(reference.LANDLORD_PUBLICS) & set(reference.di_values("publics"))


class TestOpeningHours:
    def test_grouping(self):
        """Consecutive days with the same hours become a range, two days a list."""
        hours = [(d, "09:00", "12:00") for d in range(5)] + [(5, "10:00", "12:00"), (6, "10:00", "12:00")]
        assert opening_hours(hours) == "Mo-Fr 09:00-12:00; Sa,Su 10:00-12:00"

    def test_several_periods_a_day(self):
        """Periods of one day are sorted and joined by a comma."""
        hours = [(1, "14:00", "17:00"), (3, "14:00", "17:00"), (3, "09:00", "12:00")]
        assert opening_hours(hours) == "Tu 14:00-17:00; Th 09:00-12:00,14:00-17:00"

    def test_none(self):
        """No period: no opening hours (the structure's apply)."""
        assert opening_hours([]) is None

    def test_bad_weekday(self):
        """A weekday outside 0–6 is a programming error."""
        with pytest.raises(ValueError, match="weekday"):
            opening_hours([(7, "09:00", "10:00")])


class TestPhone:
    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("02 54 00 00 00", "+33254000000"),
            ("02.54.00.00.00", "+33254000000"),
            ("+33 2 54 00 00 00", "+33254000000"),
            ("0033 2 54 00 00 00", "+33254000000"),
            ("3939", "3939"),
            ("", None),
        ],
    )
    def test_e164(self, typed, expected):
        """French numbers become E.164; short numbers stay as typed."""
        assert e164(typed) == expected


class TestPublics:
    def test_all_publics_stands_alone(self):
        """With other publics, « tous publics » is dropped: the others are the more precise."""
        assert split_publics(["tous-publics", "seniors"]) == (["seniors"], [])

    def test_landlord_public_in_words(self):
        """Tenants of social housing are no data·inclusion public: they are named in words."""
        assert split_publics(["jeunes", "locataires-hlm"]) == (["jeunes"], ["Locataires du parc social"])


class TestServiceDict:
    def test_valid_and_mapped(self):
        """A full service maps field by field and passes the official schema."""
        data = service_dict(
            SOURCE,
            service(
                kind="atelier",
                themes=("numerique--maitriser-les-fondamentaux-du-numerique", "bailleur--pret-objets"),
                publics=("seniors", "locataires-hlm"),
                free=False,
                fee_details="Adhésion annuelle : 10,00 €",
                place=CHATEAUROUX,
                remote=True,
                phone="02 54 00 00 00",
                email="contact@asso.example.org",
                link="https://asso.example.org/inscription",
                hours=((1, "14:00", "17:00"),),
                zone=("36088", "36044", "36044"),
            ),
        )
        assert errors("service.json", data) == []
        assert data["id"] == "proxima-hlm-test--service-1"
        assert data["structure_id"] == "proxima-hlm-test--partenaire-1"
        assert data["thematiques"] == ["numerique--maitriser-les-fondamentaux-du-numerique"]
        assert data["publics"] == ["seniors"]
        assert data["publics_precisions"] == "Publics visés : locataires du parc social."
        assert data["frais"] == "payant"
        assert data["frais_precisions"] == "Adhésion annuelle : 10,00 €"
        assert data["modes_accueil"] == ["en-presentiel", "a-distance"]
        assert data["modes_mobilisation"] == [
            "envoyer-un-courriel",
            "se-presenter",
            "telephoner",
            "utiliser-lien-mobilisation",
        ]
        assert data["mobilisable_par"] == ["professionnels", "usagers"]
        assert data["horaires_accueil"] == "Tu 14:00-17:00"
        assert data["zone_eligibilite"] == ["36044", "36088"]
        assert data["code_insee"] == "36044"
        assert data["date_maj"] == "2026-06-15"

    def test_minimal_is_valid(self):
        """A service with only the required fields passes the schema, free and open to residents."""
        data = service_dict(SOURCE, service())
        assert errors("service.json", data) == []
        assert data["frais"] == "gratuit"
        assert data["frais_precisions"] is None
        assert data["zone_eligibilite"] is None

    def test_referral_only(self):
        """A service reached only through a professional is mobilised by professionals, not by walking in."""
        data = service_dict(SOURCE, service(referral_only=True))
        assert data["mobilisable_par"] == ["professionnels"]
        assert data["modes_mobilisation"] is None
        assert errors("service.json", data) == []

    def test_schema_catches_a_bad_object(self):
        """The validator does reject what the schema forbids (the tests would otherwise prove nothing)."""
        data = service_dict(SOURCE, service())
        data["publics"] = ["tous-publics", "inconnu"]
        data["date_maj"] = "15/06/2026"
        assert len(errors("service.json", data)) == 2


class TestStructureDict:
    def test_valid_and_mapped(self):
        """A partner with SIRET, networks and contact details passes the official schema."""
        data = structure_dict(
            SOURCE,
            StructureRecord(
                local_id="partenaire-1",
                name="CCAS de Châteauroux",
                updated_on=DAY,
                place=CHATEAUROUX,
                description="Centre communal d'action sociale.",
                siret="13003013300016",
                phone="02 54 08 33 00",
                email="ccas@example.org",
                website="https://example.org",
                networks=("ccas-cias", "communes", "unknown-network"),
            ),
        )
        assert errors("structure.json", data) == []
        assert data["reseaux_porteurs"] == ["ccas-cias", "communes"]
        assert data["telephone"] == "+33254083300"

    def test_short_description_left_out(self):
        """A description under 5 characters, which the schema refuses, is left out."""
        data = structure_dict(
            SOURCE, StructureRecord(local_id="bailleur", name="OPH", updated_on=DAY, description="HLM")
        )
        assert data["description"] is None
        assert errors("structure.json", data) == []


class TestExportCatalogue:
    def test_sorted_and_serialisable(self):
        """Both lists are sorted by id and dump to JSON as is."""
        structures = [
            StructureRecord(local_id="partenaire-2", name="Association B", updated_on=DAY),
            StructureRecord(local_id="bailleur", name="HLM Test", updated_on=DAY),
        ]
        services = [
            service(local_id="service-2", structure_local_id="bailleur"),
            service(structure_local_id="partenaire-2"),
        ]
        found_structures, found_services = export_catalogue(SOURCE, structures, services)
        assert [s["id"] for s in found_structures] == ["proxima-hlm-test--bailleur", "proxima-hlm-test--partenaire-2"]
        assert [s["id"] for s in found_services] == ["proxima-hlm-test--service-1", "proxima-hlm-test--service-2"]
        json.dumps([found_structures, found_services])

    def test_service_of_a_missing_structure(self):
        """A service whose structure is not exported would be rejected downstream: refused here."""
        with pytest.raises(ValueError, match="partenaire-1"):
            export_catalogue(SOURCE, [], [service()])

    def test_duplicate_ids(self):
        """Two services with one id are refused."""
        structure = StructureRecord(local_id="partenaire-1", name="Association", updated_on=DAY)
        with pytest.raises(ValueError, match="unique service"):
            export_catalogue(SOURCE, [structure], [service(), service()])

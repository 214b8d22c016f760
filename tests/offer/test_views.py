"""The offer's pages: the catalogue with its filters and export, service, partner, agreement and bundle forms,
the households of a bundle."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction
from proxima.accounts.models import AuditEvent
from proxima.billing.enums import BillingMode
from proxima.offer.enums import OperatingMode, ServiceStatus
from proxima.offer.models import Bundle, Partner, PartnershipAgreement, Service
from tests.accounts.factories import OrganisationFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.offer.factories import (
    BundleFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnershipAgreementFactory,
    ServiceFactory,
)
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db


def content(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8-sig")


def names(response) -> list[str]:
    return [s.name for s in response.context["page"]]


class TestServiceList:
    @pytest.fixture
    def services(self, landlord, other_landlord):
        partner = PartnerFactory(organisation=landlord, name="Envie Berry")
        return {
            "furniture": ServiceFactory(
                organisation=landlord,
                partner=partner,
                operating_mode=OperatingMode.COORDINATOR,
                name="Pack mobilier",
                themes=["bailleur--ameublement"],
                publics=["jeunes"],
                in_communes=["36044"],
                billing_mode=BillingMode.PAID_TO_PARTNER,
                price=Decimal("50"),
            ),
            "digital": ServiceFactory(
                organisation=landlord,
                name="Atelier tablette",
                themes=["numerique--maitriser-les-fondamentaux-du-numerique"],
                publics=["seniors"],
                in_communes=["36088"],
            ),
            "draft": ServiceFactory(organisation=landlord, own=True, name="Conciergerie", draft=True),
            "other": ServiceFactory(organisation=other_landlord, name="Service de B"),
        }

    def test_filters(self, client, reader, services):
        """Theme, category, public, commune, mode, status and text filter the catalogue; never another landlord's."""
        client.force_login(reader)
        url = reverse("offer:service_list")
        assert names(client.get(url)) == ["Atelier tablette", "Conciergerie", "Pack mobilier"]
        assert names(client.get(url, {"theme": "numerique"})) == ["Atelier tablette"]
        assert names(client.get(url, {"theme": "bailleur--ameublement"})) == ["Pack mobilier"]
        assert names(client.get(url, {"theme": "bailleur"})) == ["Pack mobilier"]
        assert names(client.get(url, {"public": "seniors"})) == ["Atelier tablette"]
        assert names(client.get(url, {"commune": "36044"})) == ["Pack mobilier"]
        assert names(client.get(url, {"mode": "operator"})) == ["Conciergerie"]
        assert names(client.get(url, {"status": "draft"})) == ["Conciergerie"]
        assert names(client.get(url, {"q": "mobilier"})) == ["Pack mobilier"]

    def test_bad_commune_says_so(self, client, reader, services):
        """An unknown INSEE code is named in the page, and lists nothing rather than everything."""
        client.force_login(reader)
        response = client.get(reverse("offer:service_list"), {"commune": "99999"})
        assert "Commune inconnue" in content(response) and "99999" in content(response)
        assert names(response) == []

    def test_reader_sees_no_write_buttons(self, client, reader, services):
        """A read-only user reads the catalogue, without the button to add to it."""
        client.force_login(reader)
        assert "Ajouter un service" not in content(client.get(reverse("offer:service_list")))

    def test_export_csv(self, client, reader, services):
        """The export holds the filtered rows with who renders them, themes and price."""
        client.force_login(reader)
        response = client.get(reverse("offer:service_list"), {"theme": "bailleur--ameublement", "format": "csv"})
        rows = list(csv.reader(io.StringIO(content(response)), delimiter=";"))
        header, row = rows
        record = dict(zip(header, row, strict=True))
        assert record["service"] == "Pack mobilier"
        assert record["rendu par"] == "Envie Berry"
        assert record["thèmes"] == "Mobilier et équipement du logement"
        assert record["prix pour l'habitant (€)"] == "50,00"

    def test_export_xlsx(self, client, reader, services):
        """The same list downloads as a spreadsheet."""
        client.force_login(reader)
        response = client.get(reverse("offer:service_list"), {"format": "xlsx"})
        assert response["Content-Disposition"].endswith('catalogue-services.xlsx"')
        rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
        assert [r[0] for r in rows] == ["service", "Atelier tablette", "Conciergerie", "Pack mobilier"]

    def test_query_count_does_not_grow(self, client, staff, landlord, services, django_assert_num_queries):
        """A fixed number of queries whatever the number of services and their themes."""
        client.force_login(staff)
        client.get(reverse("offer:service_list"))
        # session, user, partners of the filter, count, page, themes, publics
        with django_assert_num_queries(7):
            client.get(reverse("offer:service_list"))
        for _ in range(5):
            ServiceFactory(organisation=landlord, themes=["sante--acces-aux-soins"], publics=["familles"])
        with django_assert_num_queries(7):
            client.get(reverse("offer:service_list"))


class TestServiceForm:
    def data(self, **changes):
        data = {
            "name": "Aide aux démarches",
            "description": "Un conseiller aide à faire les démarches en ligne.",
            "kind": "accompagnement",
            "status": ServiceStatus.ACTIVE,
            "operating_mode": OperatingMode.OPERATOR,
            "in_person": "on",
            "billing_mode": BillingMode.FREE,
            "themes": ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"],
            "publics": ["tous-publics"],
            "commune_codes": "36044, 36088",
            "address_commune_code": "36044",
            "hours_text": "du lundi au mercredi 9h-12h\njeudi 14:00-17:00",
        }
        data.update(changes)
        return data

    def test_create(self, client, staff, landlord):
        """A service is created with its themes, communes and hours, then shown."""
        client.force_login(staff)
        response = client.post(reverse("offer:service_create"), self.data())
        service = Service.objects.get()
        assert response.url == reverse("offer:service_detail", args=[service.pk])
        assert service.organisation == landlord
        assert sorted(c.code for c in service.communes.all()) == ["36044", "36088"]
        assert [(h.weekday, h.opens) for h in service.hours.all()] == [
            (0, dt.time(9)),
            (1, dt.time(9)),
            (2, dt.time(9)),
            (3, dt.time(14)),
        ]
        assert service.address_commune_id == "36044"
        page = content(client.get(response.url))
        assert "jeudi 14:00–17:00" in page and "Châteauroux" in page

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"hours_text": "mardi matin"}, "Ligne 1 : « matin » n&#x27;est pas un horaire"),
            ({"hours_text": "le mardi 9h-12h"}, "ne commence pas par un jour"),
            ({"hours_text": "mardi 12h-9h"}, "doit finir après son début"),
            ({"commune_codes": "36044, 3608"}, "Code INSEE mal formé : 3608"),
            ({"commune_codes": "36999"}, "Commune inconnue au Code officiel géographique 2026 : 36999"),
            ({"publics": ["tous-publics", "seniors"]}, "ne se combine pas"),
            ({"operating_mode": OperatingMode.FACILITATOR}, "indiquez lequel"),
            ({"billing_mode": BillingMode.FREE, "price": "5"}, "Un service gratuit n&#x27;a pas de prix"),
            ({"in_person": ""}, "sur place, à distance, ou les deux"),
            ({"name": "AB"}, "au moins 3 caractères"),
        ],
    )
    def test_bad_input(self, client, staff, changes, message):
        """Each mistake gets a French message at its field, and nothing is saved."""
        client.force_login(staff)
        response = client.post(reverse("offer:service_create"), self.data(**changes))
        assert response.status_code == 200
        assert message in content(response)
        assert not Service.objects.exists()

    def test_partner_of_another_landlord_not_offered(self, client, staff, other_landlord):
        """The partner choice lists our partners only; posting another's id is refused."""
        other = PartnerFactory(organisation=other_landlord)
        client.force_login(staff)
        data = self.data(operating_mode=OperatingMode.FACILITATOR, partner=other.pk)
        response = client.post(reverse("offer:service_create"), data)
        assert "Sélectionnez un choix valide" in content(response)
        assert not Service.objects.exists()

    def test_update(self, client, staff, landlord):
        """The form shows the service's values and saves the changes."""
        service = ServiceFactory(organisation=landlord, own=True, themes=["sante--acces-aux-soins"])
        client.force_login(staff)
        page = client.get(reverse("offer:service_update", args=[service.pk]))
        assert 'value="sante--acces-aux-soins"' in content(page) and "checked" in content(page)
        response = client.post(
            reverse("offer:service_update", args=[service.pk]), self.data(name="Aide aux démarches renommée")
        )
        assert response.status_code == 302
        service.refresh_from_db()
        assert service.name == "Aide aux démarches renommée"


class TestServiceBilling:
    """The catalogue form sets a service's billing through the billing framework; its page shows the check."""

    data = TestServiceForm.data

    def post(self, client, **changes):
        return client.post(reverse("offer:service_create"), self.data(**changes))

    @pytest.mark.parametrize(
        ("changes", "rule", "reference"),
        [
            (
                {"billing_mode": BillingMode.RECOVERABLE_CHARGE},
                "Une charge récupérable doit figurer sur la liste légale",
                "décret n° 82-955",
            ),
            (
                {"billing_mode": BillingMode.RECOVERABLE_CHARGE, "facturation-cost_code": "gardien-75"},
                "règle paramétrable : à vérifier",
                "Décret n° 82-955",
            ),
            (
                {"billing_mode": BillingMode.COLLECTIVE_AGREEMENT},
                "doit être rattaché à un accord",
                "Loi n° 86-1290",
            ),
        ],
    )
    def test_a_refusal_is_shown_at_the_mode(self, client, staff, changes, rule, reference):
        """A mode the framework refuses is shown at the mode with its rule and reference; nothing is saved."""
        client.force_login(staff)
        response = self.post(client, **changes)
        page = content(response)
        assert response.status_code == 200
        assert rule in page and "Référence :" in page and reference in page
        assert not Service.objects.exists()

    def test_a_charge_on_the_list_is_saved_and_shown(self, client, staff):
        """A recoverable charge on the list is saved with its billed service; its page shows the entry and check."""
        client.force_login(staff)
        response = self.post(
            client,
            billing_mode=BillingMode.RECOVERABLE_CHARGE,
            price="12.40",
            **{
                "facturation-cost_type": "tax",
                "facturation-cost_code": "VIII-teom",
                "facturation-charge_code": "TEOM",
            },
        )
        service = Service.objects.get()
        assert service.billed_service.cost_code == "VIII-teom"
        page = content(client.get(response.url))
        assert "Conforme au cadre légal" in page
        assert "Taxe ou redevance d&#x27;enlèvement des ordures ménagères" in page and "code de charge TEOM" in page

    def test_an_entry_to_verify_is_saved_once_confirmed(self, client, staff):
        """Confirmed, a to-verify entry is saved and the warning stays, on the next page and the service's."""
        client.force_login(staff)
        response = self.post(
            client,
            billing_mode=BillingMode.RECOVERABLE_CHARGE,
            **{
                "facturation-cost_type": "staff",
                "facturation-cost_code": "gardien-75",
                "facturation-to_verify_confirmed": "on",
            },
        )
        page = content(client.get(response.url))
        assert Service.objects.get().billed_service.to_verify_confirmed
        assert page.count("règle paramétrable : à vérifier") >= 2  # the message after saving, and the check

    def test_the_form_shows_the_settings(self, client, staff, landlord):
        """Editing a billed catalogue service shows what its billing rests on; no other service to link then."""
        from tests.billing.factories import BilledServiceFactory

        service = ServiceFactory(organisation=landlord, own=True, billing_mode=BillingMode.RECOVERABLE_CHARGE)
        BilledServiceFactory(organisation=landlord, offer_service=service, charge_code="TEOM-42")
        client.force_login(staff)
        page = content(client.get(reverse("offer:service_update", args=[service.pk])))
        assert '<option value="VIII-teom" selected>' in page and 'value="TEOM-42"' in page
        assert "facturation-existing" not in page

    def test_a_former_charge_shows_the_refusal(self, client, staff, landlord):
        """A service in recoverable charge with nothing to rest on shows the framework's refusal on its page."""
        service = ServiceFactory(organisation=landlord, own=True, billing_mode=BillingMode.RECOVERABLE_CHARGE)
        client.force_login(staff)
        page = content(client.get(reverse("offer:service_detail", args=[service.pk])))
        assert "Ce service ne peut pas être facturé en l'état" in page
        assert "Aucun poste choisi" in page and "décret n° 82-955" in page

    def test_agreement_and_rules_are_shown(self, client, reader, landlord):
        """The page of a service under an agreement shows the agreement and its monthly amounts."""
        from tests.billing.factories import BilledServiceFactory, ChargeRuleFactory

        service = ServiceFactory(organisation=landlord, own=True, billing_mode=BillingMode.COLLECTIVE_AGREEMENT)
        billed = BilledServiceFactory(
            organisation=landlord, offer_service=service, with_agreement=True, agreement__reference="ACL-WIFI"
        )
        billed.agreement.sites.set([SiteFactory(organisation=landlord, name="Les Tilleuls")])
        ChargeRuleFactory(service=billed, amount=Decimal("9.90"))
        client.force_login(reader)
        page = content(client.get(reverse("offer:service_detail", args=[service.pk])))
        assert "ACL-WIFI" in page and "Les Tilleuls" in page and "9,90 €" in page

    def test_a_field_agent_does_not_see_billing(self, client, field_agent, landlord):
        """Billing settings are for the roles that read billing: a field agent sees the mode only."""
        service = ServiceFactory(organisation=landlord, own=True, billing_mode=BillingMode.SUBSCRIPTION)
        client.force_login(field_agent)
        page = content(client.get(reverse("offer:service_detail", args=[service.pk])))
        assert "Abonnement individuel facultatif" in page and 'id="facturation"' not in page


class TestPartnerPages:
    def test_list_shows_agreements_ending(self, client, reader, landlord):
        """The partners page lists the agreements in their alert window, and no others."""
        today = timezone.localdate()
        PartnershipAgreementFactory(
            partner__organisation=landlord, object="Ateliers cuisine", end_date=today + dt.timedelta(days=20)
        )
        PartnershipAgreementFactory(
            partner__organisation=landlord, object="Jardins partagés", end_date=today + dt.timedelta(days=400)
        )
        client.force_login(reader)
        response = client.get(reverse("offer:partner_list"))
        assert [a.object for a in response.context["ending"]] == ["Ateliers cuisine"]
        assert "Conventions arrivant à échéance" in content(response)

    def test_list_filters(self, client, reader, landlord):
        """Partners are filtered by kind, theme covered and commune covered."""
        PartnerFactory(organisation=landlord, name="CCAS", ccas=True, covered=["36088"])
        PartnerFactory(organisation=landlord, name="Asso numérique", themes=["numerique--acquerir-un-equipement"])
        client.force_login(reader)
        url = reverse("offer:partner_list")
        assert names(client.get(url, {"kind": "commune"})) == ["CCAS"]
        assert names(client.get(url, {"theme": "numerique"})) == ["Asso numérique"]
        assert names(client.get(url, {"commune": "36088"})) == ["CCAS"]

    def test_list_query_count(self, client, reader, landlord, django_assert_num_queries):
        """A fixed number of queries whatever the number of partners."""
        PartnerFactory(organisation=landlord, themes=["sante--acces-aux-soins"])
        client.force_login(reader)
        client.get(reverse("offer:partner_list"))
        with django_assert_num_queries(6):  # session, user, count, page, themes, agreements ending
            client.get(reverse("offer:partner_list"))
        for _ in range(4):
            PartnershipAgreementFactory(partner__organisation=landlord, partner__themes=["famille--garde-denfants"])
        with django_assert_num_queries(6):
            client.get(reverse("offer:partner_list"))

    def test_create_with_contacts(self, client, staff, landlord):
        """A partner is created with its covered communes and a contact, linked to its Proxima account."""
        OrganisationFactory(slug="asso-numerique", partner=True)
        client.force_login(staff)
        response = client.post(
            reverse("offer:partner_create"),
            {
                "name": "Association Numérique pour tous",
                "kind": "association",
                "siret": "73282932000074",
                "networks": ["conseillers-numeriques"],
                "commune_codes": "36044",
                "themes": ["numerique--maitriser-les-fondamentaux-du-numerique"],
                "account_slug": "asso-numerique",
                "is_active": "on",
                "contacts-TOTAL_FORMS": "1",
                "contacts-INITIAL_FORMS": "0",
                "contacts-0-name": "Mme Leroy",
                "contacts-0-role": "Conseillère numérique",
            },
        )
        partner = Partner.objects.get()
        assert response.url == reverse("offer:partner_detail", args=[partner.pk])
        assert partner.account.slug == "asso-numerique"
        assert partner.networks == ["conseillers-numeriques"]
        assert [c.name for c in partner.contacts.all()] == ["Mme Leroy"]
        page = content(client.get(response.url))
        assert "Mme Leroy, Conseillère numérique" in page

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"siret": "73282932000075"}, "clé de contrôle"),
            ({"account_slug": "inconnu"}, "Aucune organisation partenaire d&#x27;identifiant « inconnu »"),
            ({"contacts-0-role": "Directrice", "contacts-0-name": ""}, "Indiquez le nom du contact"),
        ],
    )
    def test_bad_input(self, client, staff, changes, message):
        """A wrong SIRET, an unknown account or a contact without name is refused by name."""
        client.force_login(staff)
        data = {
            "name": "CCAS",
            "kind": "commune",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            **changes,
        }
        response = client.post(reverse("offer:partner_create"), data)
        assert message in content(response)
        assert not Partner.objects.exists()

    def test_update_deletes_a_contact(self, client, staff, landlord):
        """Ticking « Supprimer » removes the contact."""
        contact = PartnerContactFactory(partner__organisation=landlord)
        partner = contact.partner
        client.force_login(staff)
        response = client.post(
            reverse("offer:partner_update", args=[partner.pk]),
            {
                "name": partner.name,
                "kind": partner.kind,
                "contacts-TOTAL_FORMS": "1",
                "contacts-INITIAL_FORMS": "1",
                "contacts-0-id": str(contact.pk),
                "contacts-0-name": contact.name,
                "contacts-0-DELETE": "on",
            },
        )
        assert response.status_code == 302
        assert not partner.contacts.exists()


class TestAgreementPages:
    def test_create_with_document_and_download(self, client, staff, reader, landlord):
        """The signed agreement is uploaded, then downloaded under its own name by a reader."""
        partner = PartnerFactory(organisation=landlord)
        client.force_login(staff)
        response = client.post(
            reverse("offer:agreement_create", args=[partner.pk]),
            {
                "object": "Permanences numériques",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "renewal": "tacit",
                "alert_days": "90",
                "amount": "4500",
                "amount_period": "year",
                "document": SimpleUploadedFile("convention 2026.pdf", b"%PDF-1.4 signed"),
            },
        )
        assert response.url == reverse("offer:partner_detail", args=[partner.pk])
        agreement = PartnershipAgreement.objects.get()
        client.force_login(reader)
        download = client.get(reverse("offer:agreement_document", args=[agreement.pk]))
        assert download.content == b"%PDF-1.4 signed"
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == 'attachment; filename="convention 2026.pdf"'

    def test_bad_document_refused(self, client, staff, landlord):
        """Only documents are accepted: a script is refused by name."""
        partner = PartnerFactory(organisation=landlord)
        client.force_login(staff)
        response = client.post(
            reverse("offer:agreement_create", args=[partner.pk]),
            {
                "object": "X",
                "start_date": "2026-01-01",
                "renewal": "none",
                "alert_days": "90",
                "amount_period": "year",
                "document": SimpleUploadedFile("virus.exe", b"MZ"),
            },
        )
        assert "« virus.exe » : seuls les fichiers" in content(response)
        assert not PartnershipAgreement.objects.exists()

    def test_no_document_is_404(self, client, reader, landlord):
        """An agreement without a document has nothing to download."""
        agreement = PartnershipAgreementFactory(partner__organisation=landlord)
        client.force_login(reader)
        assert client.get(reverse("offer:agreement_document", args=[agreement.pk])).status_code == 404


class TestBundlePages:
    @pytest.fixture
    def bundle(self, landlord, field_agent):
        """Young tenants in arrears: one on the field agent's site, one elsewhere, plus an older tenant in arrears."""
        year = timezone.localdate().year
        mine = SiteFactory(organisation=landlord, name="Les Tilleuls")
        mine.agents.add(field_agent)
        young_mine = HouseholdFactory(dwelling__building__site=mine, reference="JEUNE-1", with_arrears=True)
        young_other = HouseholdFactory(
            dwelling__building__site__organisation=landlord, reference="JEUNE-2", with_arrears=True
        )
        old = HouseholdFactory(dwelling__building__site__organisation=landlord, reference="AGE-1", with_arrears=True)
        PersonFactory(household=young_mine, birth_year=year - 24, last_name="Nomjeune")
        PersonFactory(household=young_other, birth_year=year - 27)
        PersonFactory(household=old, birth_year=year - 60)
        bundle = BundleFactory(organisation=landlord, name="Jeunes locataires en impayé", young_in_arrears=True)
        bundle.services.add(ServiceFactory(organisation=landlord, name="Pack mobilier"))
        return bundle

    def test_detail_counts_households(self, client, staff, bundle):
        """The bundle's page states its rule and how many households it selects."""
        client.force_login(staff)
        page = content(client.get(reverse("offer:bundle_detail", args=[bundle.pk])))
        assert "Titulaire du bail âgé de 29 ans ou moins ; en impayé de loyer" in page
        assert "Voir les 2 ménages concernés" in page
        assert "Pack mobilier" in page

    def test_reader_sees_the_rule_not_the_households(self, client, reader, bundle):
        """A read-only user reads the bundle, not the households it names."""
        client.force_login(reader)
        page = content(client.get(reverse("offer:bundle_detail", args=[bundle.pk])))
        assert "ménages concernés" not in page
        assert client.get(reverse("offer:bundle_households", args=[bundle.pk])).status_code == 403

    def test_households_listed_and_audited(self, client, staff, bundle):
        """The households page lists the group without names, and the audit trail records who saw which."""
        client.force_login(staff)
        response = client.get(reverse("offer:bundle_households", args=[bundle.pk]))
        assert [h.reference for h in response.context["page"]] == ["JEUNE-1", "JEUNE-2"]
        assert "Nomjeune" not in content(response)
        event = AuditEvent.objects.get(action=AuditAction.LIST)
        assert sorted(event.details["ids"]) == sorted(h.pk for h in response.context["page"])
        assert "Jeunes locataires en impayé" in event.target_repr

    def test_field_agent_sees_own_sites_only(self, client, field_agent, bundle):
        """A field agent sees the group's households of the sites entrusted to them."""
        client.force_login(field_agent)
        response = client.get(reverse("offer:bundle_households", args=[bundle.pk]))
        assert [h.reference for h in response.context["page"]] == ["JEUNE-1"]

    def test_export_audited(self, client, staff, bundle):
        """The export holds the group's households and is recorded with its count."""
        client.force_login(staff)
        response = client.get(reverse("offer:bundle_households", args=[bundle.pk]), {"format": "csv"})
        rows = list(csv.reader(io.StringIO(content(response)), delimiter=";"))
        assert [r[0] for r in rows[1:]] == ["JEUNE-1", "JEUNE-2"]
        assert AuditEvent.objects.get(action=AuditAction.EXPORT).details["count"] == 2

    def test_list_query_count(self, client, reader, landlord, django_assert_num_queries):
        """The list states each bundle's rule in a fixed number of queries."""
        BundleFactory(organisation=landlord, young_in_arrears=True).sites.add(SiteFactory(organisation=landlord))
        client.force_login(reader)
        client.get(reverse("offer:bundle_list"))
        with django_assert_num_queries(6):  # session, user, count, page, sites, communes
            client.get(reverse("offer:bundle_list"))
        for _ in range(4):
            BundleFactory(organisation=landlord, lives_alone=True).communes.add("36088")
        with django_assert_num_queries(6):
            response = client.get(reverse("offer:bundle_list"))
        assert "habite Issoudun" in content(response)

    def test_create(self, client, staff, landlord):
        """A bundle is created with its services and rule."""
        service = ServiceFactory(organisation=landlord)
        client.force_login(staff)
        response = client.post(
            reverse("offer:bundle_create"),
            {
                "name": "Seniors isolés d'Issoudun",
                "services": [service.pk],
                "holder_age_min": "75",
                "lives_alone": "true",
                "has_car": "unknown",
                "commune_codes": "36088",
                "is_active": "on",
            },
        )
        bundle = Bundle.objects.get()
        assert response.url == reverse("offer:bundle_detail", args=[bundle.pk])
        assert (bundle.holder_age_min, bundle.lives_alone, bundle.has_car) == (75, True, None)
        assert [c.code for c in bundle.communes.all()] == ["36088"]

    def test_bad_age_range(self, client, staff):
        """An age range upside down is refused at its field."""
        client.force_login(staff)
        response = client.post(
            reverse("offer:bundle_create"),
            {
                "name": "X",
                "holder_age_min": "40",
                "holder_age_max": "30",
                "lives_alone": "unknown",
                "has_car": "unknown",
            },
        )
        assert "L&#x27;âge maximal doit être au moins l&#x27;âge minimal" in content(response)
        assert not Bundle.objects.exists()

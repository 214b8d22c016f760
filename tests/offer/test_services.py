import datetime as dt
import os
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from proxima.accounts.enums import Role
from proxima.billing.enums import BillingMode
from proxima.offer import services
from proxima.offer.bundle_services import bundle_household_ids
from proxima.offer.enums import OperatingMode, ServiceStatus
from proxima.offer.models import Partner, PartnershipAgreement, Service
from proxima.territory.models import Commune
from tests.accounts.factories import UserFactory
from tests.agency.factories import StopFactory
from tests.households.factories import HouseholdFactory
from tests.offer.factories import (
    BundleFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnershipAgreementFactory,
    ServiceFactory,
)
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

VALUES = {
    "name": "Aide aux démarches en ligne",
    "description": "Un conseiller aide à faire les démarches CAF, impôts et retraite en ligne.",
    "operating_mode": OperatingMode.OPERATOR,
    "billing_mode": BillingMode.FREE,
    "status": ServiceStatus.ACTIVE,
}


class TestCreateService:
    def test_with_everything(self, landlord):
        """A service is saved with its themes, publics, places and weekly hours."""
        site = SiteFactory(organisation=landlord)
        stop = StopFactory(organisation=landlord)
        service = services.create_service(
            organisation=landlord,
            values=VALUES,
            themes=["numerique--acceder-a-des-services-en-ligne", "bailleur--conciergerie"],
            publics=["seniors", "locataires-hlm"],
            hours=[(1, dt.time(14), dt.time(17)), (3, dt.time(9), dt.time(12))],
            sites=[site],
            communes=[Commune.objects.get(code="36088")],
            stops=[stop],
        )
        assert sorted(t.code for t in service.themes.all()) == [
            "bailleur--conciergerie",
            "numerique--acceder-a-des-services-en-ligne",
        ]
        assert sorted(p.code for p in service.publics.all()) == ["locataires-hlm", "seniors"]
        assert [str(h) for h in service.hours.all()] == ["mardi 14:00–17:00", "jeudi 09:00–12:00"]
        assert list(service.sites.all()) == [site]
        assert list(service.stops.all()) == [stop]
        assert [c.code for c in service.communes.all()] == ["36088"]

    @pytest.mark.parametrize(
        ("relations", "message"),
        [
            ({"themes": ["numerique--inconnu"]}, "Thème inconnu"),
            ({"publics": ["tous-publics", "seniors"]}, "Tous publics"),
            ({"publics": ["martiens"]}, "Public inconnu"),
            ({"hours": [(1, dt.time(17), dt.time(9))]}, "Horaire impossible le mardi"),
        ],
    )
    def test_bad_relations_save_nothing(self, landlord, relations, message):
        """A bad theme, public or period is refused with a French message, and nothing is saved."""
        with pytest.raises(ValidationError, match=message):
            services.create_service(organisation=landlord, values=VALUES, **relations)
        assert not Service.objects.exists()

    def test_other_landlords_site_refused(self, landlord, other_landlord):
        """Listing another landlord's site would show it in our catalogue: refused."""
        with pytest.raises(ValidationError, match="autre organisme"):
            services.create_service(
                organisation=landlord, values=VALUES, sites=[SiteFactory(organisation=other_landlord)]
            )
        assert not Service.objects.exists()

    def test_other_landlords_partner_refused(self, landlord, other_landlord):
        """A partner of another landlord cannot render our service."""
        values = {
            **VALUES,
            "operating_mode": OperatingMode.FACILITATOR,
            "partner": PartnerFactory(organisation=other_landlord),
        }
        with pytest.raises(ValidationError, match="autre organisme"):
            services.create_service(organisation=landlord, values=values)

    def test_free_with_zero_price(self, landlord):
        """A free service typed with a price of 0 is stored without a price."""
        service = services.create_service(organisation=landlord, values={**VALUES, "price": Decimal("0")})
        assert service.price is None


class TestUpdateService:
    def test_replaces_relations(self, landlord):
        """Updating sets exactly the themes, publics and hours given."""
        service = ServiceFactory(organisation=landlord, themes=["sante--acces-aux-soins"], publics=["seniors"])
        services.update_service(
            service=service,
            values={"status": ServiceStatus.SUSPENDED},
            themes=["mobilite--financer-ma-mobilite"],
            publics=[],
            hours=[(0, dt.time(9), dt.time(12))],
        )
        service.refresh_from_db()
        assert service.status == ServiceStatus.SUSPENDED
        assert [t.code for t in service.themes.all()] == ["mobilite--financer-ma-mobilite"]
        assert not service.publics.exists()
        assert service.hours.count() == 1


class TestPartners:
    def test_create_with_themes_communes_and_contacts(self, landlord):
        """A partner is saved with what it covers; its contacts are added, changed and deleted."""
        partner = services.create_partner(
            organisation=landlord,
            values={"name": "Mission locale de l'Indre", "kind": "association", "siret": "13003013300016"},
            themes=["trouver-un-emploi--repondre-a-des-offres-demploi"],
            communes=[Commune.objects.get(code="36044")],
        )
        services.save_partner_contacts(partner=partner, contacts=[{"name": "Mme Durand", "role": "Conseillère"}])
        contact = partner.contacts.get()
        services.save_partner_contacts(
            partner=partner, contacts=[{"id": contact.pk, "name": "Mme Durand", "role": "Directrice"}]
        )
        contact.refresh_from_db()
        assert contact.role == "Directrice"
        services.save_partner_contacts(partner=partner, contacts=[], delete_ids=[contact.pk])
        assert not partner.contacts.exists()
        assert [t.code for t in partner.themes.all()] == ["trouver-un-emploi--repondre-a-des-offres-demploi"]

    def test_bad_siret_saves_nothing(self, landlord):
        """A SIRET with a wrong key is refused with its value in the message."""
        with pytest.raises(ValidationError, match="13003013300017"):
            services.create_partner(
                organisation=landlord, values={"name": "CCAS", "kind": "commune", "siret": "13003013300017"}
            )
        assert not Partner.objects.exists()

    def test_another_partners_contact_refused(self, landlord):
        """A contact id of another partner cannot be changed through this one."""
        partner = PartnerFactory(organisation=landlord)
        other = PartnerContactFactory()
        with pytest.raises(ValidationError, match="Contact inconnu"):
            services.save_partner_contacts(partner=partner, contacts=[{"id": other.pk, "name": "X"}])


class TestAgreements:
    def test_document_stored_under_a_random_name(self, landlord):
        """The file keeps its name for download, never on disk; a new file replaces the previous one."""
        partner = PartnerFactory(organisation=landlord)
        values = {
            "object": "Permanences numériques",
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
        }
        agreement = services.create_agreement(
            partner=partner, values=values, document=SimpleUploadedFile("Convention signée.pdf", b"%PDF-1.4 a")
        )
        assert agreement.document_name == "Convention signée.pdf"
        assert "Convention" not in agreement.document.name
        first = agreement.document.path
        services.update_agreement(
            agreement=agreement, values={}, document=SimpleUploadedFile("avenant.pdf", b"%PDF-1.4 b")
        )
        assert agreement.document_name == "avenant.pdf"
        with agreement.document.open("rb") as f:
            assert f.read() == b"%PDF-1.4 b"
        assert not os.path.exists(first)

    def test_invalid_saves_nothing(self, landlord):
        """An end before the start is refused and no file is written."""
        partner = PartnerFactory(organisation=landlord)
        values = {"object": "X", "start_date": dt.date(2026, 1, 1), "end_date": dt.date(2025, 1, 1)}
        with pytest.raises(ValidationError):
            services.create_agreement(partner=partner, values=values, document=SimpleUploadedFile("c.pdf", b"x"))
        assert not PartnershipAgreement.objects.exists()


class TestAgreementAlerts:
    @pytest.fixture
    def ending(self, landlord):
        """An agreement ending on 31/12/2026 with a 30-day alert: the window opens on 1/12/2026."""
        return PartnershipAgreementFactory(
            partner__organisation=landlord,
            partner__name="CCAS d'Issoudun",
            end_date=dt.date(2026, 12, 31),
            alert_days=30,
        )

    @pytest.fixture
    def recipients(self, landlord, other_landlord):
        UserFactory(organisation=landlord, role=Role.ADMIN, email="admin@hlm-a.example.org")
        UserFactory(organisation=landlord, role=Role.STAFF, email="equipe@hlm-a.example.org")
        UserFactory(organisation=landlord, role=Role.READ_ONLY, email="finance@hlm-a.example.org")
        UserFactory(organisation=landlord, role=Role.FIELD_AGENT, email="gardien@hlm-a.example.org")
        UserFactory(organisation=landlord, role=Role.STAFF, email="parti@hlm-a.example.org", is_active=False)
        UserFactory(organisation=other_landlord, role=Role.ADMIN, email="admin@hlm-b.example.org")

    def test_dry_run_sends_nothing(self, ending, recipients):
        """By default the alerts are only listed."""
        report = services.send_agreement_alerts(today=dt.date(2026, 12, 1))
        assert [(org.slug, agreements) for org, agreements, _ in report] == [("hlm-a", [ending])]
        assert mail.outbox == []
        ending.refresh_from_db()
        assert ending.alerted_for is None

    def test_wet_run_mails_admins_and_staff_once(self, ending, recipients):
        """One e-mail to the landlord's active admins and proximity team, then none until the end date moves."""
        assert services.send_agreement_alerts(today=dt.date(2026, 11, 30), wet_run=True) == []
        services.send_agreement_alerts(today=dt.date(2026, 12, 1), wet_run=True)
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["admin@hlm-a.example.org", "equipe@hlm-a.example.org"]
        assert "CCAS d'Issoudun" in message.body
        assert "31/12/2026" in message.body
        assert services.send_agreement_alerts(today=dt.date(2026, 12, 2), wet_run=True) == []
        ending.end_date = dt.date(2027, 1, 31)  # renegotiated for a month: a new alert when its window opens
        ending.save()
        services.send_agreement_alerts(today=dt.date(2027, 1, 1), wet_run=True)
        assert len(mail.outbox) == 2

    def test_no_recipient_keeps_the_alert(self, ending):
        """Without anyone to tell, the agreement stays to alert."""
        report = services.send_agreement_alerts(today=dt.date(2026, 12, 1), wet_run=True)
        assert report[0][2] == []
        ending.refresh_from_db()
        assert ending.alerted_for is None


class TestBundles:
    def test_create(self, landlord):
        """A bundle is saved with its services and places."""
        service = ServiceFactory(organisation=landlord)
        site = SiteFactory(organisation=landlord)
        bundle = services.create_bundle(
            organisation=landlord,
            values={
                "name": "Jeunes locataires en impayé",
                "holder_age_max": 29,
                "arrears_min_amount": Decimal("0.01"),
            },
            services=[service],
            sites=[site],
        )
        assert list(bundle.services.all()) == [service]
        assert list(bundle.sites.all()) == [site]

    def test_other_landlords_service_refused(self, landlord, other_landlord):
        """A bundle offers our own services only."""
        with pytest.raises(ValidationError, match="autre organisme"):
            services.create_bundle(
                organisation=landlord, values={"name": "X"}, services=[ServiceFactory(organisation=other_landlord)]
            )

    def test_households_a_field_agent_sees(self, landlord, staff, field_agent):
        """The rule selects from the households the user works with: a field agent, their sites' only."""
        young = HouseholdFactory(dwelling__building__site__organisation=landlord, with_arrears=True)
        other_site = HouseholdFactory(dwelling__building__site__organisation=landlord, with_arrears=True)
        HouseholdFactory(dwelling__building__site__organisation=landlord)  # no arrears
        for household in (young, other_site):
            household.persons.create(first_name="A", last_name="B", birth_year=2000, role="reference")
        young.dwelling.building.site.agents.add(field_agent)
        bundle = BundleFactory(organisation=landlord, young_in_arrears=True)
        today = dt.date(2026, 6, 15)
        assert bundle_household_ids(bundle=bundle, user=staff, today=today) == sorted([young.pk, other_site.pk])
        assert bundle_household_ids(bundle=bundle, user=field_agent, today=today) == [young.pk]

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from proxima.billing.enums import BillingMode
from proxima.offer.enums import OperatingMode, Renewal
from proxima.offer.models import Partner, PartnershipAgreement, Service
from proxima.offer.validators import siret_ok, validate_networks, validate_siret
from proxima.territory.models import Commune
from tests.agency.factories import StopFactory
from tests.offer.factories import (
    BundleFactory,
    PartnerFactory,
    PartnershipAgreementFactory,
    ServiceFactory,
    ServiceHoursFactory,
)
from tests.territory.factories import SiteFactory


class TestSiret:
    @pytest.mark.parametrize(
        "siret",
        [
            "13003013300016",  # the example of the data·inclusion schema
            "73282932000074",
            "35600000000048",  # La Poste's head office
            "35600000049837",  # a La Poste establishment: digits sum to a multiple of 5
        ],
    )
    def test_valid(self, siret):
        """Real SIRET numbers pass, La Poste's by the sum of their digits."""
        assert siret_ok(siret)
        validate_siret(siret)

    @pytest.mark.parametrize(
        ("siret", "message"),
        [
            ("1300301330001", "14 chiffres"),
            ("130 030 133 00016", "14 chiffres"),
            ("1300301330001A", "14 chiffres"),
            ("١٣٠٠٣٠١٣٣٠٠٠١٦", "14 chiffres"),  # Arabic-Indic digits are digits to Python, not to INSEE
            ("13003013300017", "clé de contrôle"),
            ("35600000049838", "clé de contrôle"),
        ],
    )
    def test_invalid(self, siret, message):
        """A wrong length, a letter or a wrong key is refused with a message that says which."""
        with pytest.raises(ValidationError, match=message):
            validate_siret(siret)


class TestNetworks:
    def test_known_codes(self):
        """Codes of the data·inclusion list of networks are accepted."""
        validate_networks(["france-service", "ccas-cias"])

    @pytest.mark.parametrize("value", [["bailleur-social"], "ccas-cias", [3]])
    def test_invalid(self, value):
        """An unknown code, or anything but a list of codes, is refused."""
        with pytest.raises(ValidationError):
            validate_networks(value)


@pytest.mark.django_db
class TestPartner:
    def test_account_must_be_a_partner_organisation(self, landlord, other_landlord):
        """The linked account is a partner's: linking another landlord would open its data."""
        partner = PartnerFactory(organisation=landlord, account=other_landlord)
        with pytest.raises(ValidationError, match="organisation partenaire"):
            partner.full_clean()

    def test_account_cannot_be_the_landlord(self, landlord):
        """The database refuses a partner linked to its own landlord."""
        with pytest.raises(IntegrityError), transaction.atomic():
            PartnerFactory(organisation=landlord, account=landlord)

    def test_name_unique_per_landlord(self, landlord, other_landlord):
        """Two landlords may both work with "CCAS de Châteauroux", one landlord lists it once."""
        PartnerFactory(organisation=landlord, name="CCAS de Châteauroux")
        PartnerFactory(organisation=other_landlord, name="CCAS de Châteauroux")
        with pytest.raises(IntegrityError), transaction.atomic():
            PartnerFactory(organisation=landlord, name="CCAS de Châteauroux")

    def test_with_theme_and_covering(self, landlord):
        """Partners are found by theme, by theme category, and by commune covered."""
        digital = PartnerFactory(
            organisation=landlord, themes=["numerique--maitriser-les-fondamentaux-du-numerique"], covered=["36044"]
        )
        PartnerFactory(organisation=landlord, themes=["mobilite--acceder-a-un-vehicule"], covered=["36063"])
        partners = Partner.objects.for_organisation(landlord)
        assert list(partners.with_theme("numerique--maitriser-les-fondamentaux-du-numerique")) == [digital]
        assert list(partners.with_theme("numerique")) == [digital]
        assert list(partners.covering(Commune.objects.get(code="36044"))) == [digital]


@pytest.mark.django_db
class TestPartnershipAgreement:
    def test_alert_window(self, landlord):
        """The alert starts ``alert_days`` before the end and lasts until the end date."""
        agreement = PartnershipAgreementFactory(
            partner__organisation=landlord, end_date=dt.date(2026, 12, 31), alert_days=30
        )
        assert agreement.alert_on == dt.date(2026, 12, 1)
        ending = PartnershipAgreement.objects.for_organisation(landlord).ending_soon
        assert list(ending(dt.date(2026, 11, 30))) == []
        assert list(ending(dt.date(2026, 12, 1))) == [agreement]
        assert list(ending(dt.date(2026, 12, 31))) == [agreement]
        assert list(ending(dt.date(2027, 1, 1))) == []

    def test_alert_moves_with_the_end_date(self, landlord):
        """Changing the end date, even with update_fields, moves the alert window."""
        agreement = PartnershipAgreementFactory(partner__organisation=landlord, alert_days=10)
        agreement.end_date = dt.date(2027, 6, 30)
        agreement.save(update_fields=["end_date"])
        agreement.refresh_from_db()
        assert agreement.alert_on == dt.date(2027, 6, 20)

    def test_open_ended_has_no_alert(self, landlord):
        """An agreement without end date is never in an alert window."""
        agreement = PartnershipAgreementFactory(partner__organisation=landlord, end_date=None)
        assert agreement.alert_on is None
        assert not PartnershipAgreement.objects.ending_soon(dt.date(2030, 1, 1)).exists()

    def test_end_before_start_refused(self, landlord):
        """The database and the form both refuse an end before the start."""
        agreement = PartnershipAgreementFactory.build(
            partner=PartnerFactory(organisation=landlord), start_date=dt.date(2026, 1, 1), end_date=dt.date(2025, 1, 1)
        )
        with pytest.raises(ValidationError, match="suivre son début"):
            agreement.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            agreement.save()

    def test_tacit_renewal_needs_an_end(self, landlord):
        """A tacit renewal happens on a date: an agreement without end date cannot have one."""
        agreement = PartnershipAgreementFactory.build(
            partner=PartnerFactory(organisation=landlord), end_date=None, renewal=Renewal.TACIT
        )
        with pytest.raises(ValidationError, match="reconduction tacite"):
            agreement.full_clean()


@pytest.mark.django_db
class TestService:
    def test_operator_renders_it_itself(self, landlord):
        """As operator the landlord renders the service: a partner is refused, in the form and the database."""
        service = ServiceFactory.build(
            organisation=landlord, partner=PartnerFactory(organisation=landlord), operating_mode=OperatingMode.OPERATOR
        )
        with pytest.raises(ValidationError, match="lui-même"):
            service.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            service.save()

    def test_facilitator_needs_a_partner(self, landlord):
        """As facilitator or coordinator the landlord relies on a partner."""
        service = ServiceFactory.build(organisation=landlord, partner=None, operating_mode=OperatingMode.COORDINATOR)
        with pytest.raises(ValidationError, match="indiquez lequel"):
            service.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            service.save()

    def test_free_has_no_price(self, landlord):
        """A free service with a price is refused: the billing mode would lie."""
        service = ServiceFactory.build(organisation=landlord, own=True, billing_mode=BillingMode.FREE, price=5)
        with pytest.raises(ValidationError, match="gratuit"):
            service.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            service.save()

    def test_priced_service(self, landlord):
        """A service billed as a recoverable charge carries its monthly price."""
        service = ServiceFactory(
            organisation=landlord, own=True, billing_mode=BillingMode.RECOVERABLE_CHARGE, price=Decimal("9.90")
        )
        service.full_clean()
        assert service.provider_name == landlord.name

    def test_filters(self, landlord):
        """Services are found by theme, category, public, and commune (listed, through a site or a stop)."""
        chateauroux = Commune.objects.get(code="36044")
        issoudun = Commune.objects.get(code="36088")
        listed = ServiceFactory(
            organisation=landlord, themes=["numerique--acceder-a-une-connexion-internet"], in_communes=["36044"]
        )
        at_site = ServiceFactory(organisation=landlord, publics=["seniors", "locataires-hlm"])
        at_site.sites.add(SiteFactory(organisation=landlord, commune=chateauroux))
        at_stop = ServiceFactory(organisation=landlord, themes=["mobilite--financer-ma-mobilite"])
        at_stop.stops.add(StopFactory(organisation=landlord, commune=issoudun))
        services = Service.objects.for_organisation(landlord)
        assert list(services.with_theme("numerique")) == [listed]
        assert list(services.with_theme("mobilite--financer-ma-mobilite")) == [at_stop]
        assert list(services.with_public("locataires-hlm")) == [at_site]
        assert set(services.in_commune(chateauroux)) == {listed, at_site}
        assert list(services.in_commune(issoudun)) == [at_stop]

    def test_running_on(self, landlord):
        """Only open services whose dates include the day are running."""
        running = ServiceFactory(organisation=landlord, start_date=dt.date(2026, 1, 1))
        ServiceFactory(organisation=landlord, end_date=dt.date(2025, 12, 31))
        ServiceFactory(organisation=landlord, draft=True)
        assert list(Service.objects.running_on(dt.date(2026, 6, 1))) == [running]

    def test_hours_must_open_before_closing(self, landlord):
        """An opening period that closes before it opens is refused."""
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceHoursFactory(service__organisation=landlord, opens=dt.time(17), closes=dt.time(9))


@pytest.mark.django_db
class TestBundle:
    def test_age_range(self, landlord):
        """The highest age cannot be under the lowest."""
        bundle = BundleFactory.build(organisation=landlord, holder_age_min=30, holder_age_max=25)
        with pytest.raises(ValidationError, match="âge maximal"):
            bundle.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            bundle.save()

    def test_services_of_the_bundle(self, landlord):
        """A bundle groups services of the catalogue."""
        bundle = BundleFactory(organisation=landlord, young_in_arrears=True)
        service = ServiceFactory(organisation=landlord)
        bundle.services.add(service)
        assert list(service.bundles.all()) == [bundle]

"""A catalogue service billed by the landlord: its billed service, set through the billing framework's rules."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from proxima.billing import services as billing_services
from proxima.billing.enums import BillingMode, CostType
from proxima.billing.models import BilledService
from proxima.offer import services as offer_services
from proxima.offer.enums import OperatingMode, ServiceStatus
from proxima.offer.models import Service
from tests.billing.factories import BilledServiceFactory, ChargeRuleFactory, CollectiveAgreementFactory
from tests.offer.factories import ServiceFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


def create(landlord, mode, billing=None, name="Wi-Fi à tarif négocié"):
    values = {
        "name": name,
        "description": "Une connexion Internet dans le logement, au tarif négocié par le bailleur.",
        "operating_mode": OperatingMode.OPERATOR,
        "billing_mode": mode,
        "status": ServiceStatus.ACTIVE,
    }
    return offer_services.create_service(organisation=landlord, values=values, billing=billing, today=TODAY)


class TestBillCatalogueService:
    def test_a_recoverable_charge_gets_its_billed_service(self, landlord):
        """A catalogue service billed as a recoverable charge on the list gets a linked billed service."""
        settings = billing_services.BillingSettings(cost_type=CostType.TAX, cost_code="VIII-teom", charge_code="TEOM")
        service = create(landlord, BillingMode.RECOVERABLE_CHARGE, settings, name="Enlèvement des ordures")
        billed = BilledService.objects.get()
        assert (billed.offer_service, billed.name, billed.mode) == (
            service,
            "Enlèvement des ordures",
            BillingMode.RECOVERABLE_CHARGE,
        )
        assert (billed.cost_code, billed.charge_code, billed.cost_type) == ("VIII-teom", "TEOM", CostType.TAX)

    @pytest.mark.parametrize(
        ("mode", "given", "rule", "reference"),
        [
            (BillingMode.RECOVERABLE_CHARGE, {}, "Une charge récupérable doit figurer sur la liste légale", "82-955"),
            (
                BillingMode.RECOVERABLE_CHARGE,
                {"cost_code": "gardien-75"},
                "Ce poste de la liste est à vérifier",
                "82-955",
            ),
            (BillingMode.COLLECTIVE_AGREEMENT, {}, "doit être rattaché à un accord", "86-1290"),
        ],
    )
    def test_a_refusal_saves_nothing(self, landlord, mode, given, rule, reference):
        """A mode the framework refuses rolls the catalogue service back too, and says which rule and reference."""
        with pytest.raises(ValidationError) as error:
            create(landlord, mode, billing_services.BillingSettings(**given))
        assert rule in error.value.messages[0] and reference in error.value.messages[0]
        assert not Service.objects.exists() and not BilledService.objects.exists()

    def test_an_ended_agreement_is_refused(self, landlord, sites):
        """A catalogue service cannot be put under an agreement that has ended."""
        agreement = CollectiveAgreementFactory(organisation=landlord, valid_until=dt.date(2026, 6, 30), sites=sites)
        with pytest.raises(ValidationError, match="a pris fin le 30/06/2026"):
            create(landlord, BillingMode.COLLECTIVE_AGREEMENT, billing_services.BillingSettings(agreement=agreement))
        assert not Service.objects.exists()

    def test_an_agreement_in_force(self, landlord, sites):
        """Under an agreement in force covering sites, the billed service rests on it (with the rule's warning)."""
        agreement = CollectiveAgreementFactory(organisation=landlord, sites=sites)
        service = create(
            landlord,
            BillingMode.COLLECTIVE_AGREEMENT,
            billing_services.BillingSettings(agreement=agreement, cost_code="VIII-teom", charge_code="WIFI"),
        )
        assert service.billed_service.agreement == agreement
        assert service.billed_service.cost_code == ""  # only a recoverable charge rests on the list
        check = billing_services.check_catalogue_service(service, today=TODAY)
        assert check.ok and [w.rule for w in check.warnings] == ["agreement_required"]

    def test_a_subscription_needs_each_households_consent(self, landlord):
        """A subscription is saved, with the warning that each subscriber must have consented."""
        service = create(landlord, BillingMode.SUBSCRIPTION, name="Téléassistance")
        check = billing_services.check_catalogue_service(service, today=TODAY)
        assert service.billed_service.mode == BillingMode.SUBSCRIPTION
        assert [w.rule for w in check.warnings] == ["subscription_consent"]

    def test_free_and_paid_to_partner_need_no_billed_service(self, landlord):
        """The landlord bills nothing for a free service or one paid to the partner: no billed service."""
        create(landlord, BillingMode.FREE, name="Dépôt de pain")
        create(landlord, BillingMode.PAID_TO_PARTNER, name="Transport solidaire")
        assert not BilledService.objects.exists()
        assert billing_services.check_catalogue_service(Service.objects.first(), today=TODAY) is None

    def test_a_new_mode_goes_to_the_billed_service(self, landlord):
        """Turning a recoverable charge into a free service updates its billed service, list entry dropped."""
        settings = billing_services.BillingSettings(cost_code="VIII-teom", to_verify_confirmed=True)
        service = create(landlord, BillingMode.RECOVERABLE_CHARGE, settings)
        offer_services.update_service(service=service, values={"billing_mode": BillingMode.FREE}, today=TODAY)
        billed = BilledService.objects.get()
        assert (billed.mode, billed.cost_code, billed.to_verify_confirmed) == (BillingMode.FREE, "", False)

    def test_without_settings_the_billed_service_keeps_its_own(self, landlord):
        """Saving the catalogue service without billing settings keeps what its billed service rests on."""
        service = create(
            landlord, BillingMode.RECOVERABLE_CHARGE, billing_services.BillingSettings(cost_code="VIII-teom")
        )
        offer_services.update_service(service=service, values={"name": "Ordures ménagères"}, today=TODAY)
        assert BilledService.objects.get().cost_code == "VIII-teom"

    def test_an_existing_billed_service_is_linked(self, landlord):
        """A billed service set up before the catalogue entry is linked, with its rules, instead of a new one."""
        rule = ChargeRuleFactory(service__organisation=landlord, service__name="TEOM", amount=Decimal("12.40"))
        settings = billing_services.BillingSettings(cost_code="VIII-teom", charge_code="TEOM", existing=rule.service)
        service = create(landlord, BillingMode.RECOVERABLE_CHARGE, settings, name="Enlèvement des ordures")
        billed = BilledService.objects.get()
        assert billed.offer_service == service and billed.name == "TEOM"
        assert list(billed.rules.all()) == [rule]

    def test_a_billed_service_of_the_same_name_is_named(self, landlord):
        """A new billed service cannot take the name of another: the error says how to link it."""
        BilledServiceFactory(organisation=landlord, name="Wi-Fi à tarif négocié", free=True)
        with pytest.raises(ValidationError, match="Service facturé existant"):
            create(landlord, BillingMode.SUBSCRIPTION)

    def test_another_organisations_billed_service_cannot_be_linked(self, landlord, other_landlord):
        """Linking another landlord's billed service is refused."""
        foreign = BilledServiceFactory(organisation=other_landlord, subscription=True)
        with pytest.raises(ValidationError, match="autre organisme"):
            create(landlord, BillingMode.SUBSCRIPTION, billing_services.BillingSettings(existing=foreign))

    def test_the_mode_of_a_linked_billed_service_is_set_in_the_catalogue(self, landlord):
        """On the billing side a catalogue service's billed service cannot change mode: one source of truth."""
        service = create(landlord, BillingMode.SUBSCRIPTION, name="Téléassistance")
        billed = service.billed_service
        billed.mode = BillingMode.FREE
        with pytest.raises(ValidationError, match="se règle dans le catalogue"):
            billing_services.save_service(service=billed, today=TODAY)


class TestVocabularyMigration:
    def test_charges_become_recoverable_charges(self, landlord):
        """The catalogue's former « inclus dans les charges » becomes the framework's recoverable charge."""
        migration = importlib.import_module("proxima.offer.migrations.0003_billing_modes_of_the_billing_framework")
        service = ServiceFactory(organisation=landlord)
        Service.objects.filter(pk=service.pk).update(billing_mode="charges")
        migration.forwards(apps, None)
        service.refresh_from_db()
        assert service.billing_mode == BillingMode.RECOVERABLE_CHARGE

    def test_a_former_charge_shows_what_it_lacks(self, landlord):
        """A migrated recoverable charge without its billed service is refused until an entry is chosen."""
        service = ServiceFactory(organisation=landlord, own=True, billing_mode=BillingMode.RECOVERABLE_CHARGE)
        check = billing_services.check_catalogue_service(service, today=TODAY)
        assert [r.rule for r in check.refusals] == ["charge_on_list"]

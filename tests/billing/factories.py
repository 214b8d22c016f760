import datetime as dt
from decimal import Decimal

import factory

from proxima.billing.enums import BillingMode, ChargeBasis, CostType
from proxima.billing.models import BilledService, ChargeRule, CollectiveAgreement, HouseholdExit, Subscription
from proxima.households.enums import ConsentChannel
from tests.accounts.factories import OrganisationFactory
from tests.households.factories import HouseholdFactory


class CollectiveAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectiveAgreement
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"ACL-2026-{n:02d}")
    title = "Accès Wi-Fi à prix négocié"
    signed_on = dt.date(2026, 3, 1)
    valid_from = dt.date(2026, 4, 1)
    valid_until = None

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)


class BilledServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BilledService

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    provider = "Prestataire"
    mode = BillingMode.RECOVERABLE_CHARGE
    cost_type = CostType.TAX
    cost_code = "VIII-teom"
    charge_code = "TEOM"

    class Params:
        free = factory.Trait(mode=BillingMode.FREE, cost_code="", charge_code="")
        subscription = factory.Trait(
            mode=BillingMode.SUBSCRIPTION, cost_type=CostType.OPERATION, cost_code="", charge_code="TELEASS"
        )
        with_agreement = factory.Trait(
            mode=BillingMode.COLLECTIVE_AGREEMENT,
            cost_type=CostType.OPERATION,
            cost_code="",
            charge_code="WIFI",
            agreement=factory.SubFactory(
                CollectiveAgreementFactory, organisation=factory.SelfAttribute("..organisation")
            ),
        )


class ChargeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChargeRule
        skip_postgeneration_save = True

    service = factory.SubFactory(BilledServiceFactory)
    organisation = factory.SelfAttribute("service.organisation")
    amount = Decimal("30.00")
    basis = ChargeBasis.PER_HOUSEHOLD
    valid_from = dt.date(2026, 1, 1)

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    household = factory.SubFactory(HouseholdFactory)
    service = factory.SubFactory(
        BilledServiceFactory, subscription=True, organisation=factory.SelfAttribute("..household.organisation")
    )
    organisation = factory.SelfAttribute("household.organisation")
    consent_given_on = dt.date(2026, 1, 10)
    consent_channel = ConsentChannel.PAPER


class HouseholdExitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdExit

    household = factory.SubFactory(HouseholdFactory)
    organisation = factory.SelfAttribute("household.organisation")
    left_on = dt.date(2026, 11, 20)

import datetime as dt
from decimal import Decimal

import factory

from proxima.billing.enums import BillingMode
from proxima.offer.enums import OperatingMode, PartnerKind, Renewal, ServiceStatus
from proxima.offer.models import (
    Bundle,
    Partner,
    PartnerContact,
    PartnershipAgreement,
    PartnerTheme,
    Service,
    ServiceHours,
    ServicePublic,
    ServiceTheme,
)
from proxima.territory.models import Commune
from tests.accounts.factories import OrganisationFactory


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Association Solidarité Numérique {n}")
    kind = PartnerKind.ASSOCIATION
    address = "3 place de la République"
    commune = factory.LazyFunction(lambda: Commune.objects.get(code="36044"))  # Châteauroux
    phone = "02 54 00 00 00"
    email = factory.Sequence(lambda n: f"contact{n}@asso.example.org")

    class Params:
        ccas = factory.Trait(
            kind=PartnerKind.COMMUNE,
            name=factory.Sequence(lambda n: f"CCAS de Châteauroux {n}"),
            networks=["ccas-cias"],
        )
        with_account = factory.Trait(account=factory.SubFactory(OrganisationFactory, partner=True))

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            PartnerTheme.objects.bulk_create([PartnerTheme(partner=self, code=code) for code in extracted])

    @factory.post_generation
    def covered(self, create, extracted, **kwargs):
        """``covered=["36044", …]``: the INSEE codes of the communes the partner covers."""
        if create and extracted:
            self.communes.set(Commune.objects.filter(code__in=extracted))


class PartnerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerContact

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Faker("name", locale="fr_FR")
    role = "Coordinatrice"
    email = factory.Sequence(lambda n: f"coordination{n}@asso.example.org")


class PartnershipAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnershipAgreement

    partner = factory.SubFactory(PartnerFactory)
    object = "Ateliers numériques dans les résidences"
    start_date = dt.date(2025, 1, 1)
    end_date = dt.date(2026, 12, 31)
    renewal = Renewal.EXPLICIT
    alert_days = 90
    amount = Decimal("12000.00")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Atelier numérique {n}")
    description = "Apprendre à se servir d'une tablette et à faire ses démarches en ligne, en petit groupe."
    kind = "atelier"
    partner = factory.SubFactory(PartnerFactory, organisation=factory.SelfAttribute("..organisation"))
    operating_mode = OperatingMode.FACILITATOR
    address = "3 place de la République"
    address_commune = factory.LazyFunction(lambda: Commune.objects.get(code="36044"))
    billing_mode = BillingMode.FREE
    status = ServiceStatus.ACTIVE

    class Params:
        own = factory.Trait(partner=None, operating_mode=OperatingMode.OPERATOR)
        draft = factory.Trait(status=ServiceStatus.DRAFT)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            ServiceTheme.objects.bulk_create([ServiceTheme(service=self, code=code) for code in extracted])

    @factory.post_generation
    def publics(self, create, extracted, **kwargs):
        if create and extracted:
            ServicePublic.objects.bulk_create([ServicePublic(service=self, code=code) for code in extracted])

    @factory.post_generation
    def in_communes(self, create, extracted, **kwargs):
        """``in_communes=["36044", …]``: the INSEE codes of the communes where the service is offered."""
        if create and extracted:
            self.communes.set(Commune.objects.filter(code__in=extracted))


class ServiceHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceHours

    service = factory.SubFactory(ServiceFactory)
    weekday = 2
    opens = dt.time(14, 0)
    closes = dt.time(17, 0)


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Jeunes locataires en impayé {n}")
    description = "Un coup de pouce pour les jeunes locataires qui ont du retard de loyer."

    class Params:
        young_in_arrears = factory.Trait(holder_age_max=29, arrears_min_amount=Decimal("0.01"))

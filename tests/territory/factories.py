import datetime as dt
from decimal import Decimal

import factory

from proxima.territory.enums import DwellingKind, DwellingStatus, Financing
from proxima.territory.models import Building, Commune, Dwelling, Site
from tests.accounts.factories import OrganisationFactory


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"R{n:04d}")
    name = factory.Sequence(lambda n: f"Résidence des Tilleuls {n}")
    address = "12 rue des Tilleuls"
    commune = factory.LazyFunction(lambda: Commune.objects.get(code="36044"))  # Châteauroux, zone B2
    latitude = 46.81
    longitude = 1.69


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    site = factory.SubFactory(SiteFactory)
    organisation = factory.SelfAttribute("site.organisation")
    reference = factory.Sequence(lambda n: f"B{n:04d}")


class DwellingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dwelling

    building = factory.SubFactory(BuildingFactory)
    organisation = factory.SelfAttribute("building.organisation")
    reference = factory.Sequence(lambda n: f"L{n:05d}")
    kind = DwellingKind.T3
    floor_area = Decimal("65.00")
    rent = Decimal("380.00")
    financing = Financing.PLUS
    status = DwellingStatus.OCCUPIED

    class Params:
        vacant = factory.Trait(status=DwellingStatus.VACANT, vacant_since=dt.date(2026, 3, 1))

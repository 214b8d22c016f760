import datetime as dt
from decimal import Decimal

import factory

from proxima.households.enums import ConsentChannel, ConsentPurpose, ContactChannel, PersonRole
from proxima.households.models import Consent, Household, Person
from tests.territory.factories import DwellingFactory


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    dwelling = factory.SubFactory(DwellingFactory)
    organisation = factory.SelfAttribute("dwelling.organisation")
    reference = factory.Sequence(lambda n: f"BAIL{n:06d}")
    move_in_date = dt.date(2015, 6, 1)
    rent = Decimal("380.00")
    charges = Decimal("95.00")
    contact_channel = ContactChannel.PHONE

    class Params:
        with_arrears = factory.Trait(arrears_amount=Decimal("950.00"), arrears_months=2)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_year = 1950
    role = PersonRole.REFERENCE
    phone = "0639981234"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    household = factory.SubFactory(HouseholdFactory)
    purpose = ConsentPurpose.OUTREACH
    given_on = dt.date(2026, 1, 15)
    channel = ConsentChannel.PHONE

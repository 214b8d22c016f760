import datetime as dt

import factory
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.outreach.enums import ContactKind, ContactOutcome, EnrolmentSource
from proxima.outreach.models import Contact, ContactPlan, Enrolment, Programme
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.households.factories import PersonFactory


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Lutte contre l'isolement des aînés {n}")
    call_every_days = 7
    visit_every_days = 30

    class Params:
        with_partner = factory.Trait(partner=factory.SubFactory(OrganisationFactory, partner=True))


class VolunteerFactory(UserFactory):
    """A partner's volunteer: a user of a partner organisation with the partner role."""

    organisation = factory.SubFactory(OrganisationFactory, partner=True)
    role = Role.PARTNER


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """An elderly person living alone (born 1944) enrolled by staff in a programme of their landlord."""

    class Meta:
        model = Enrolment

    programme = factory.SubFactory(ProgrammeFactory)
    organisation = factory.SelfAttribute("programme.organisation")
    person = factory.SubFactory(
        PersonFactory,
        birth_year=1944,
        household__dwelling__building__site__organisation=factory.SelfAttribute("......programme.organisation"),
    )
    household = factory.SelfAttribute("person.household")
    source = EnrolmentSource.STAFF
    enrolled_on = dt.date(2026, 1, 5)


class ContactPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPlan

    enrolment = factory.SubFactory(EnrolmentFactory)
    organisation = factory.SelfAttribute("enrolment.organisation")
    kind = ContactKind.CALL
    every_days = 7
    starts_on = factory.SelfAttribute("enrolment.enrolled_on")


class ContactFactory(factory.django.DjangoModelFactory):
    """A contact written directly (no interaction): for the states the services then read."""

    class Meta:
        model = Contact

    enrolment = factory.SubFactory(EnrolmentFactory)
    organisation = factory.SelfAttribute("enrolment.organisation")
    kind = ContactKind.CALL
    outcome = ContactOutcome.REACHED
    occurred_at = factory.LazyFunction(timezone.now)

    class Params:
        failed = factory.Trait(outcome=ContactOutcome.NO_ANSWER)

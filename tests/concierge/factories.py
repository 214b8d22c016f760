import datetime as dt

import factory
from django.utils import timezone

from proxima.concierge.enums import (
    ActivityKind,
    AppointmentStatus,
    ItemKind,
    PlaceKind,
    ReceivedVia,
    RegistrationStatus,
    RequestKind,
    RequestStatus,
)
from proxima.concierge.models import (
    Activity,
    ConciergeRequest,
    ConciergeSettings,
    Item,
    Loan,
    OfficeAppointment,
    OfficeHours,
    Registration,
)
from tests.accounts.factories import OrganisationFactory


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def at(days: int, hour: int = 14, minute: int = 0) -> dt.datetime:
    """An aware time ``days`` from today at ``hour``:``minute``, local time."""
    return timezone.make_aware(dt.datetime.combine(in_days(days), dt.time(hour, minute)))


class ConciergeSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConciergeSettings
        django_get_or_create = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)
    name = "Conciergerie des Tilleuls"
    address = "3 rue des Tilleuls, Châteauroux"
    opening_hours = "Du lundi au vendredi, de 9 h à 12 h"
    phone = "02 54 11 22 33"


class ConciergeRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConciergeRequest

    organisation = factory.SubFactory(OrganisationFactory)
    kind = RequestKind.PAPERWORK
    received_via = ReceivedVia.PHONE
    name = factory.Faker("name", locale="fr_FR")
    phone = "06 12 34 56 78"
    description = "Dossier de retraite à compléter"
    due_on = factory.LazyFunction(lambda: in_days(7))

    class Params:
        overdue = factory.Trait(due_on=factory.LazyFunction(lambda: in_days(-3)))
        done = factory.Trait(
            status=RequestStatus.DONE, outcome="Dossier envoyé", closed_at=factory.LazyFunction(timezone.now)
        )


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"PERC-{n:02d}")
    name = "Perceuse-visseuse"
    kind = ItemKind.TOOL
    loan_days = 7


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    item = factory.SubFactory(ItemFactory)
    organisation = factory.SelfAttribute("item.organisation")
    name = factory.Faker("name", locale="fr_FR")
    phone = "06 12 34 56 78"
    lent_on = factory.LazyFunction(lambda: in_days(-2))
    due_on = factory.LazyFunction(lambda: in_days(5))

    class Params:
        overdue = factory.Trait(
            lent_on=factory.LazyFunction(lambda: in_days(-10)), due_on=factory.LazyFunction(lambda: in_days(-3))
        )


class OfficeHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficeHours

    organisation = factory.SubFactory(OrganisationFactory)
    title = "Aide aux démarches"
    place_kind = PlaceKind.CONCIERGE
    place = "Conciergerie des Tilleuls"
    date = factory.LazyFunction(lambda: in_days(7))
    start = dt.time(9, 0)
    end = dt.time(10, 0)
    slot_minutes = 20


class OfficeAppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficeAppointment

    office_hours = factory.SubFactory(OfficeHoursFactory)
    starts_at = dt.time(9, 0)
    ends_at = dt.time(9, 20)
    name = "Mme Martin"
    status = AppointmentStatus.BOOKED


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    organisation = factory.SubFactory(OrganisationFactory)
    title = "Atelier cuisine"
    kind = ActivityKind.WORKSHOP
    place = "Salle commune des Tilleuls"
    starts_at = factory.LazyFunction(lambda: at(10, 14))
    ends_at = factory.LazyFunction(lambda: at(10, 17))
    capacity = 10

    class Params:
        past = factory.Trait(
            starts_at=factory.LazyFunction(lambda: at(-2, 14)), ends_at=factory.LazyFunction(lambda: at(-2, 17))
        )


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    activity = factory.SubFactory(ActivityFactory)
    name = factory.Faker("name", locale="fr_FR")
    places = 1
    status = RegistrationStatus.CONFIRMED

import datetime as dt

import factory
from django.utils import timezone

from proxima.agency.enums import AppointmentStatus, PlanKind, PlanStatus, StopKind, VisitTopic
from proxima.agency.models import AgencySettings, Appointment, Stop, TourDay, TourPlan, Visit, VisitLog
from proxima.territory.models import Commune
from tests.accounts.factories import OrganisationFactory


class AgencySettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencySettings
        django_get_or_create = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)
    depot_name = "Agence de Châteauroux"
    depot_latitude = 46.81
    depot_longitude = 1.69


class StopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stop

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Place de la Mairie {n}")
    kind = StopKind.PLACE
    commune = factory.LazyFunction(lambda: Commune.objects.get(code="36044"))  # Châteauroux
    latitude = 46.81
    longitude = 1.70
    duration_minutes = 120
    services = "Permanence de l'agence, aide aux démarches, rendez-vous."

    class Params:
        at_site = factory.Trait(
            kind=StopKind.SITE,
            site=factory.SubFactory(
                "tests.territory.factories.SiteFactory", organisation=factory.SelfAttribute("..organisation")
            ),
            name=factory.SelfAttribute("site.name"),
            commune=factory.SelfAttribute("site.commune"),
            latitude=factory.SelfAttribute("site.latitude"),
            longitude=factory.SelfAttribute("site.longitude"),
        )


class TourPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TourPlan

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Tournée {n}")
    kind = PlanKind.PLANNED
    status = PlanStatus.READY
    start_date = dt.date(2026, 12, 1)  # a Tuesday
    weeks = 1
    weekdays = [1, 2, 3]
    day_start = dt.time(8, 30)
    day_end = dt.time(17, 30)
    lunch_start = dt.time(12, 0)
    lunch_end = dt.time(13, 30)

    class Params:
        published = factory.Trait(published_at=factory.LazyFunction(timezone.now))


class TourDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TourDay

    plan = factory.SubFactory(TourPlanFactory)
    date = factory.SelfAttribute("plan.start_date")
    week = 0
    departure = dt.time(8, 30)
    return_time = dt.time(17, 0)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    day = factory.SubFactory(TourDayFactory)
    stop = factory.SubFactory(StopFactory, organisation=factory.SelfAttribute("..day.plan.organisation"))
    position = factory.Sequence(lambda n: n)
    arrival = dt.time(9, 15)
    start = dt.time(9, 30)
    end = dt.time(11, 30)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    visit = factory.SubFactory(VisitFactory)
    starts_at = dt.time(9, 30)
    ends_at = dt.time(9, 50)
    name = "Mme Martin"
    topic = VisitTopic.ADMINISTRATIVE
    status = AppointmentStatus.BOOKED


class VisitLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitLog

    visit = factory.SubFactory(VisitFactory)

"""The demo's mobile agency: its stops, the schedule the bus runs today, a computed plan, published.

Everything goes through the agency's services, as in real use: the sites become stops, a market square and
the nearest France services site are added, the current schedule is entered by hand (the six sites nearest
the agency, the same every week, as a bus is often run), then the planner computes a plan over four weeks and
compares it with the current schedule; the computed plan is published. Rebuilding the demo changes nothing
once the plans exist.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from proxima.accounts.enums import Role
from proxima.agency import services
from proxima.agency.enums import PlanKind, StopKind
from proxima.agency.models import Stop, TourPlan, Visit
from proxima.households.models import Household
from proxima.territory.geo import distance_km
from proxima.territory.models import FranceServicesSite, Site

MANUAL_NAME = "Tournée actuelle (démo)"
PLANNED_NAME = "Tournée calculée sur 4 semaines (démo)"
WEEKDAYS = [1, 2, 3]  # Tuesday, Wednesday, Thursday
STOPS_PER_MANUAL_DAY = 2
SERVICES = (
    "Accueil et rendez-vous avec votre conseillère, questions sur le loyer et les charges, "
    "demandes d'intervention technique, aide aux démarches en ligne."
)


@dataclass
class AgencyDemoResult:
    manual: TourPlan
    planned: TourPlan


def next_tuesday(today: dt.date) -> dt.date:
    """The first Tuesday after ``today``: the demo's schedule always starts in the future."""
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)


def build_agency_demo(
    organisation, *, start: dt.date, planner_seed: int = 0, time_limit: int = 20
) -> AgencyDemoResult:
    """Build the demo's stops and plans once; return the plans (found again when the demo is rebuilt)."""
    manual = TourPlan.objects.filter(organisation=organisation, name=MANUAL_NAME).first()
    planned = TourPlan.objects.filter(organisation=organisation, name=PLANNED_NAME).first()
    if manual is not None and planned is not None:
        return AgencyDemoResult(manual, planned)
    staff = organisation.users.filter(role=Role.STAFF).order_by("pk").first()
    depot = _depot_site(organisation)
    services.update_agency_settings(
        organisation=organisation,
        depot_name=f"Agence de {depot.commune.name}",
        depot_latitude=depot.latitude,
        depot_longitude=depot.longitude,
        contact_phone="02 54 00 00 00",  # fictitious, like every demo datum
    )
    services.add_sites_as_stops(organisation=organisation)
    Stop.objects.for_organisation(organisation).filter(services="").update(services=SERVICES)
    _add_public_places(organisation, depot)
    values = {
        "start_date": start,
        "weeks": 4,
        "weekdays": WEEKDAYS,
        "day_start": dt.time(8, 30),
        "day_end": dt.time(17, 30),
        "lunch_start": dt.time(12, 0),
        "lunch_end": dt.time(13, 30),
    }
    if manual is None:
        manual = _manual_plan(organisation, staff, depot, values)
    planned = services.create_plan(
        organisation=organisation,
        by=staff,
        kind=PlanKind.PLANNED,
        name=PLANNED_NAME,
        compared_to=manual,
        time_limit=time_limit,
        seed=planner_seed,
        **values,
    )
    services.run_planning(planned.pk, today=start)
    planned.refresh_from_db()
    if Visit.objects.filter(day__plan=planned).exists():
        services.publish_plan(plan=planned)
    return AgencyDemoResult(manual, planned)


def _depot_site(organisation) -> Site:
    """The agency sits in the commune with the most households (its first site by reference)."""
    busiest = (
        Household.objects.for_organisation(organisation)
        .values("dwelling__building__site__commune")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n", "dwelling__building__site__commune")
        .first()
    )
    sites = Site.objects.for_organisation(organisation).select_related("commune").order_by("reference")
    if busiest is not None:
        sites = sites.filter(commune_id=busiest["dwelling__building__site__commune"])
    return sites.first()


def _add_public_places(organisation, depot: Site) -> None:
    """A weekly market in the agency's commune, and the France services site nearest the agency."""
    if not Stop.objects.for_organisation(organisation).filter(kind=StopKind.PLACE).exists():
        services.create_stop(
            organisation=organisation,
            name=f"Marché de {depot.commune.name}",
            kind=StopKind.PLACE,
            commune=depot.commune,
            address="Place du marché",
            latitude=depot.latitude + 0.004,
            longitude=depot.longitude - 0.003,
            duration_minutes=120,
            time_windows=[["08:30", "10:00"]],
            max_gap_weeks=2,
            services="Permanence au marché : informations, rendez-vous, demandes d'intervention.",
        )
    if not Stop.objects.for_organisation(organisation).filter(kind=StopKind.FRANCE_SERVICES).exists():
        candidates = FranceServicesSite.objects.exclude(latitude=None).exclude(commune=None).select_related("commune")
        nearest = min(
            candidates,
            key=lambda fs: distance_km(depot.latitude, depot.longitude, fs.latitude, fs.longitude),
            default=None,
        )
        if nearest is not None:
            services.create_stop(
                organisation=organisation,
                name=f"France services – {nearest.name}",
                kind=StopKind.FRANCE_SERVICES,
                commune=nearest.commune,
                address=nearest.address,
                latitude=nearest.latitude,
                longitude=nearest.longitude,
                duration_minutes=180,
                services="Permanence commune avec France services : aide aux démarches administratives.",
            )


@transaction.atomic
def _manual_plan(organisation, staff, depot: Site, values: dict) -> TourPlan:
    """The schedule run today: the sites nearest the agency, two a day, the same every week."""
    plan = services.create_plan(organisation=organisation, by=staff, kind=PlanKind.MANUAL, name=MANUAL_NAME, **values)
    stops = sorted(
        Stop.objects.for_organisation(organisation).filter(kind=StopKind.SITE, is_active=True),
        key=lambda s: (distance_km(depot.latitude, depot.longitude, s.latitude, s.longitude), s.pk),
    )
    days = list(plan.days.order_by("date"))
    per_week = len(WEEKDAYS)
    for day in days:
        slot = days.index(day) % per_week
        for position, stop in enumerate(stops[slot * STOPS_PER_MANUAL_DAY : (slot + 1) * STOPS_PER_MANUAL_DAY]):
            Visit.objects.create(day=day, stop=stop, position=position, start=dt.time(9), end=dt.time(11))
    services.refresh_plan(plan, today=values["start_date"])
    return plan

"""A tiny territory to plan by hand: a depot, two sites near it, one far away, and their households."""

import datetime as dt
from decimal import Decimal

from proxima.agency.enums import PlanKind
from tests.agency.factories import AgencySettingsFactory, StopFactory, TourPlanFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.territory.factories import DwellingFactory, SiteFactory

#: The day the demand is read: a person born in 1940 is 86, elderly.
TODAY = dt.date(2026, 11, 20)
DEPOT = (46.800, 1.700)


def _households(site, count, **kwargs):
    return [HouseholdFactory(dwelling=DwellingFactory(building__site=site), **kwargs) for _ in range(count)]


def tiny_world(organisation):
    """Sites A (1.1 km north of the depot: 3 households, one an elderly person living alone, weight 4), B (1.5 km
    east: 2 households, one in arrears, weight 3) and C (250 km away: 1 household). Weights: base 1, elderly alone
    +3, arrears +2, others 0. So A is worth 6, B 4, C 1; a day can serve A and B, never C."""
    settings = AgencySettingsFactory(
        organisation=organisation,
        depot_latitude=DEPOT[0],
        depot_longitude=DEPOT[1],
        walking_radius_m=500,
        weight_base=Decimal(1),
        weight_elderly_alone=Decimal(3),
        weight_no_car=Decimal(0),
        weight_far_from_services=Decimal(0),
        weight_arrears=Decimal(2),
        weight_survey_needs=Decimal(0),
    )
    site_a = SiteFactory(organisation=organisation, name="Les Acacias", latitude=46.810, longitude=1.700)
    site_b = SiteFactory(organisation=organisation, name="Les Bouleaux", latitude=46.800, longitude=1.720)
    site_c = SiteFactory(organisation=organisation, name="Les Cèdres", latitude=49.0, longitude=1.700)
    a = _households(site_a, 3)
    PersonFactory(household=a[0], birth_year=1940)
    b = _households(site_b, 1) + _households(site_b, 1, with_arrears=True)
    c = _households(site_c, 1)
    stops = {
        key: StopFactory(organisation=organisation, at_site=True, site=site, duration_minutes=120)
        for key, site in (("A", site_a), ("B", site_b), ("C", site_c))
    }
    return {"settings": settings, "stops": stops, "households": {"A": a, "B": b, "C": c}}


def one_day_plan(organisation, *, kind=PlanKind.PLANNED, **kwargs):
    """A plan of one tour day, Tuesday 1 December 2026, 08:30–17:30 with lunch 12:00–13:30, one second of search."""
    values = {"weeks": 1, "weekdays": [1], "time_limit": 1, "seed": 0, **kwargs}
    return TourPlanFactory(organisation=organisation, kind=kind, status="draft", result={}, **values)

"""A small published tour for the visit log and map tests: two sites, their households, agents of each role."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.agency.models import Stop, TourPlan, Visit
from proxima.households.models import Household
from proxima.territory.models import Site
from tests.accounts.factories import UserFactory
from tests.agency.factories import StopFactory, TourDayFactory, TourPlanFactory, VisitFactory
from tests.households.factories import HouseholdFactory


@dataclass
class Tour:
    plan: TourPlan
    visit: Visit
    stop: Stop
    site_a: Site
    site_b: Site
    a1: Household
    a2: Household
    b1: Household
    staff: object
    agent: object


def published_tour(organisation, *, days_ago: int = 2) -> Tour:
    """A published plan of ``organisation`` with one past visit at site A's stop; the field agent covers site A."""
    a1 = HouseholdFactory(dwelling__building__site__organisation=organisation, reference="BAIL-A1")
    site_a = a1.dwelling.building.site
    a2 = HouseholdFactory(dwelling__building__site=site_a, reference="BAIL-A2")
    b1 = HouseholdFactory(dwelling__building__site__organisation=organisation, reference="BAIL-B1")
    staff = UserFactory(organisation=organisation, role=Role.STAFF)
    agent = UserFactory(organisation=organisation, role=Role.FIELD_AGENT)
    site_a.agents.add(agent)
    plan = TourPlanFactory(
        organisation=organisation, published=True, start_date=timezone.localdate() - dt.timedelta(days=days_ago)
    )
    day = TourDayFactory(plan=plan)
    stop = StopFactory(organisation=organisation, at_site=True, site=site_a)
    visit = VisitFactory(day=day, stop=stop, position=0, start=dt.time(9, 30), end=dt.time(11, 30))
    return Tour(
        plan=plan,
        visit=visit,
        stop=stop,
        site_a=site_a,
        site_b=b1.dwelling.building.site,
        a1=a1,
        a2=a2,
        b1=b1,
        staff=staff,
        agent=agent,
    )

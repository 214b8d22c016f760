"""The demo's mobile agency: stops from the sites and public places, the current schedule, a published plan."""

import datetime as dt

import pytest

from proxima.agency.enums import PlanKind, StopKind
from proxima.agency.models import Stop, TourPlan, Visit
from proxima.demo.agency import MANUAL_NAME, PLANNED_NAME, next_tuesday
from proxima.demo.services import build_demo
from proxima.territory.models import Site

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=300, sites=15, today=TODAY, agency_time_limit=2)


def test_next_tuesday_is_always_to_come():
    """A Tuesday gives the next one; any other day the coming Tuesday."""
    assert next_tuesday(dt.date(2026, 12, 1)) == dt.date(2026, 12, 8)
    assert next_tuesday(dt.date(2026, 11, 29)) == dt.date(2026, 12, 1)


class TestAgencyDemo:
    def test_stops_are_the_sites_and_two_public_places(self, demo):
        """Every site becomes a stop, plus the market and the nearest France services site."""
        stops = Stop.objects.for_organisation(demo.organisation)
        assert stops.filter(kind=StopKind.SITE).count() == Site.objects.for_organisation(demo.organisation).count()
        assert stops.filter(kind=StopKind.PLACE).count() == 1
        assert stops.filter(kind=StopKind.FRANCE_SERVICES).count() == 1
        assert not stops.filter(services="").exists()

    def test_current_schedule_is_entered_by_hand(self, demo):
        """The manual plan visits two sites a day, every Tuesday, Wednesday and Thursday of 4 weeks."""
        manual = demo.agency.manual
        assert manual.kind == PlanKind.MANUAL and manual.name == MANUAL_NAME
        assert manual.days.count() == 12
        assert all(day.visits.count() == 2 for day in manual.days.all())
        assert manual.result["reached_household_ids"]

    def test_computed_plan_is_published_and_beats_the_current_schedule(self, demo):
        """The planner's plan reaches at least the need-weighted households the current schedule reaches."""
        planned = demo.agency.planned
        assert planned.name == PLANNED_NAME and planned.published_at is not None
        assert Visit.objects.filter(day__plan=planned).exists()
        comparison = planned.result["comparison"]
        assert comparison["plan_id"] == demo.agency.manual.pk
        assert planned.result["total_coverage"] >= comparison["total_coverage"]
        assert planned.start_date > dt.date.today()

    def test_rebuilding_changes_nothing(self, demo):
        """A second build finds both plans and adds no stop."""
        stops, plans = Stop.objects.count(), TourPlan.objects.count()
        again = build_demo(dwellings=300, sites=15, today=TODAY, agency_time_limit=2)
        assert again.agency.planned.pk == demo.agency.planned.pk
        assert Stop.objects.count() == stops and TourPlan.objects.count() == plans

"""The agency adapter: demand from the database, plans computed on a tiny world, manual edits, publication."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from proxima.agency import services
from proxima.agency.enums import Forcing, PlanKind, PlanStatus
from proxima.agency.models import Stop, TourPlan, Visit, VisitLog
from tests.agency.factories import AgencySettingsFactory, AppointmentFactory, StopFactory, TourPlanFactory
from tests.agency.factories_plans import TODAY, one_day_plan, tiny_world
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(landlord):
    return tiny_world(landlord)


def ids(households):
    return sorted(h.pk for h in households)


def served(plan):
    return list(
        Visit.objects.filter(day__plan=plan).order_by("day__date", "position").values_list("stop_id", flat=True)
    )


class TestDemand:
    def test_households_within_walking_distance_with_their_weights(self, landlord, world):
        """Each stop reaches the households of its site; an elderly person alone and arrears weigh more."""
        stops = list(world["stops"].values())
        found = services.build_demand(landlord, stops, today=TODAY)
        assert sorted(found.reach[world["stops"]["A"].pk]) == ids(world["households"]["A"])
        assert found.stop_value(world["stops"]["A"].pk) == 6  # 1 + 3 (elderly alone), 1, 1
        assert found.stop_value(world["stops"]["B"].pk) == 4  # 1, 1 + 2 (arrears)
        assert found.stop_value(world["stops"]["C"].pk) == 1


class TestAddSitesAsStops:
    def test_adds_each_site_once(self, landlord):
        """Every site becomes a stop; a second run adds nothing, and a deactivated site stop stays as it is."""
        first = SiteFactory(organisation=landlord)
        SiteFactory(organisation=landlord)
        SiteFactory()  # another landlord's
        assert services.add_sites_as_stops(organisation=landlord) == 2
        stop = Stop.objects.get(site=first)
        services.set_stop_active(stop=stop, active=False)
        assert services.add_sites_as_stops(organisation=landlord) == 0
        assert Stop.objects.for_organisation(landlord).count() == 2
        stop.refresh_from_db()
        assert not stop.is_active


class TestPlanDates:
    def test_chosen_weekdays_of_each_week(self):
        """Two weeks from Tuesday 1 December, Tuesdays and Thursdays: four days, weeks 0 and 1."""
        days = services.plan_dates(start_date=dt.date(2026, 12, 1), weeks=2, weekdays=[1, 3])
        assert days == [
            (dt.date(2026, 12, 1), 0),
            (dt.date(2026, 12, 3), 0),
            (dt.date(2026, 12, 8), 1),
            (dt.date(2026, 12, 10), 1),
        ]


class TestRunPlanning:
    def test_reaches_the_households_of_the_stops_a_day_can_hold(self, landlord, world):
        """A and B fit in the day, C is too far: A's and B's households are reached, C's never."""
        plan = one_day_plan(landlord)
        outcome = services.run_planning(plan.pk, today=TODAY)
        plan.refresh_from_db()
        assert outcome["status"] == PlanStatus.READY
        assert plan.status == PlanStatus.READY and plan.progress == 100
        assert sorted(served(plan)) == sorted([world["stops"]["A"].pk, world["stops"]["B"].pk])
        result = plan.result
        assert result["total_coverage"] == pytest.approx(10)
        assert result["weeks"] == [{"week": 0, "coverage": pytest.approx(10), "households_reached": 5}]
        assert result["reached_household_ids"] == ids(world["households"]["A"] + world["households"]["B"])
        assert result["never_reached_household_ids"] == ids(world["households"]["C"])
        assert result["left_out"] == [{"stop_id": world["stops"]["C"].pk, "reason": "too_far"}]
        assert result["issues"] == []

    def test_visits_have_their_times_around_lunch(self, landlord, world):
        """Times are saved: nothing is open during the lunch break, and the day ends by 17:30."""
        plan = one_day_plan(landlord)
        services.run_planning(plan.pk, today=TODAY)
        day = plan.days.get()
        visits = list(day.visits.order_by("position"))
        assert len(visits) == 2
        assert day.departure == dt.time(8, 30)
        for visit in visits:
            assert visit.arrival <= visit.start < visit.end
            assert visit.end <= dt.time(12, 0) or visit.start >= dt.time(13, 30)
        assert day.return_time <= dt.time(17, 30)

    def test_published_times_are_round(self, landlord, world):
        """The bus arrives at A a minute or so after leaving at 08:30: it opens at 08:35, and closes on a multiple
        of five minutes before leaving, so that residents read round times and slots."""
        plan = one_day_plan(landlord)
        services.run_planning(plan.pk, today=TODAY)
        first, *others = plan.days.get().visits.order_by("position")
        assert dt.time(8, 30) < first.arrival < dt.time(8, 35) and first.start == dt.time(8, 35)
        for visit in [first, *others]:
            assert visit.start.minute % 5 == 0 and visit.end.minute % 5 == 0
            assert visit.arrival <= visit.start

    def test_forced_out_is_never_planned(self, landlord, world):
        """A stop forced out by staff is left out with that reason, even though it is worth the most."""
        Stop.objects.filter(pk=world["stops"]["A"].pk).update(forcing=Forcing.FORCED_OUT)
        plan = one_day_plan(landlord)
        services.run_planning(plan.pk, today=TODAY)
        plan.refresh_from_db()
        assert served(plan) == [world["stops"]["B"].pk]
        assert {"stop_id": world["stops"]["A"].pk, "reason": "forced_out"} in plan.result["left_out"]
        assert plan.result["reached_household_ids"] == ids(world["households"]["B"])

    def test_forced_in_is_always_planned(self, landlord, world):
        """A stop reaching nobody is left out, unless staff force it in."""
        empty = StopFactory(organisation=landlord, name="Place du marché", latitude=46.790, longitude=1.700)
        plan = one_day_plan(landlord)
        services.run_planning(plan.pk, today=TODAY)
        assert empty.pk not in served(plan)
        Stop.objects.filter(pk=empty.pk).update(forcing=Forcing.FORCED_IN)
        plan = one_day_plan(landlord)
        services.run_planning(plan.pk, today=TODAY)
        assert empty.pk in served(plan)

    def test_forced_in_out_of_reach_fails_with_a_clear_message(self, landlord, world):
        """A forced stop no day can hold ends the computation as failed, with the reason."""
        Stop.objects.filter(pk=world["stops"]["C"].pk).update(forcing=Forcing.FORCED_IN)
        plan = one_day_plan(landlord)
        outcome = services.run_planning(plan.pk, today=TODAY)
        plan.refresh_from_db()
        assert outcome["status"] == PlanStatus.FAILED
        assert plan.status == PlanStatus.FAILED
        assert "planificateur" in plan.error and str(world["stops"]["C"].pk) in plan.error

    def test_frequencies_carry_over_from_the_published_schedule(self, landlord, world):
        """A served last week by the published schedule may come back only every other week: not in week 0."""
        Stop.objects.filter(pk=world["stops"]["A"].pk).update(min_gap_weeks=2)
        previous = one_day_plan(landlord, start_date=dt.date(2026, 11, 24))
        services.run_planning(previous.pk, today=TODAY)
        assert world["stops"]["A"].pk in served(previous)
        plan = one_day_plan(landlord)
        assert services.last_served_weeks(plan) == {}  # a schedule not published did not take place
        services.publish_plan(plan=TourPlan.objects.get(pk=previous.pk))
        assert services.last_served_weeks(plan) == {world["stops"]["A"].pk: -1, world["stops"]["B"].pk: -1}
        services.run_planning(plan.pk, today=TODAY)
        plan.refresh_from_db()
        assert served(plan) == [world["stops"]["B"].pk]
        assert {"stop_id": world["stops"]["A"].pk, "reason": "frequency"} in plan.result["left_out"]

    def test_a_reported_visit_counts_as_served(self, landlord, world):
        """A visit whose report was recorded took place, published or not; one three weeks back is week -3."""
        previous = one_day_plan(landlord, start_date=dt.date(2026, 11, 10))
        services.run_planning(previous.pk, today=TODAY)
        visit = Visit.objects.get(day__plan=previous, stop=world["stops"]["B"])
        VisitLog.objects.create(visit=visit, anonymous_count=2)
        assert services.last_served_weeks(one_day_plan(landlord)) == {world["stops"]["B"].pk: -3}

    def test_reports_progress(self, landlord, world):
        """The command line is told each step, each week of the horizon planned, up to 100 %."""
        plan = one_day_plan(landlord)
        steps = []
        services.run_planning(plan.pk, today=TODAY, report=lambda percent, message: steps.append((percent, message)))
        percents = [percent for percent, _ in steps]
        assert percents[0] == 1 and percents[-1] == 100
        assert percents == sorted(percents)
        assert (95, "Semaine 1 sur 1 planifiée") in steps  # after each week of the horizon

    def test_compares_with_the_manual_plan(self, landlord, world):
        """The current schedule serving only B reaches 2 households; the plan says so."""
        manual = services.create_plan(
            organisation=landlord,
            by=None,
            kind=PlanKind.MANUAL,
            name="Tournée actuelle",
            start_date=dt.date(2026, 12, 1),
            weeks=1,
            weekdays=[1],
            day_start=dt.time(8, 30),
            day_end=dt.time(17, 30),
        )
        services.add_visit(plan=manual, day=manual.days.get(), stop=world["stops"]["B"])
        plan = one_day_plan(landlord, compared_to=manual)
        services.run_planning(plan.pk, today=TODAY)
        plan.refresh_from_db()
        comparison = plan.result["comparison"]
        assert comparison["plan_id"] == manual.pk
        assert comparison["households_reached"] == 2
        assert comparison["total_coverage"] == pytest.approx(4)


class TestStartPlanning:
    def test_needs_a_depot(self, landlord):
        """Without the depot's position the plan is not queued, and staff are told where to set it."""
        AgencySettingsFactory(organisation=landlord, depot_latitude=None, depot_longitude=None)
        plan = one_day_plan(landlord)
        with pytest.raises(ValidationError, match="dépôt"):
            services.start_planning(plan=plan)

    def test_task_computes_the_plan(self, landlord, world, monkeypatch):
        """Queued, then computed by the worker: the plan ends ready at 100 %, with its visits."""
        monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
        monkeypatch.setattr("proxima.agency.services.timezone.localdate", lambda: TODAY)
        plan = one_day_plan(landlord)
        services.start_planning(plan=plan)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.QUEUED and plan.task_id
        with pytest.raises(ValidationError, match="déjà en cours"):
            services.start_planning(plan=plan)
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.READY
        assert plan.progress == 100 and plan.progress_message.startswith("Terminé")
        assert len(served(plan)) == 2


@pytest.fixture
def manual(landlord, world):
    return services.create_plan(
        organisation=landlord,
        by=None,
        kind=PlanKind.MANUAL,
        name="Tournée actuelle",
        start_date=dt.date(2026, 12, 1),
        weeks=1,
        weekdays=[1, 2],
        day_start=dt.time(8, 30),
        day_end=dt.time(17, 30),
        lunch_start=dt.time(12, 0),
        lunch_end=dt.time(13, 30),
    )


class TestManualEdits:
    def test_a_manual_plan_starts_empty(self, manual, world):
        """Two tour days, no visit, nobody reached yet."""
        assert manual.status == PlanStatus.READY
        assert manual.days.count() == 2
        assert manual.result["total_coverage"] == 0
        assert len(manual.result["never_reached_household_ids"]) == 6

    def test_adding_a_stop_shows_the_households_gained(self, manual, world):
        """Adding A reaches its 3 households at once; its times are computed."""
        tuesday = manual.days.order_by("date").first()
        effect = services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["A"])
        assert effect.households_gained == 3
        assert effect.coverage_gained == pytest.approx(6)
        assert effect.issues == ()
        assert effect.message().startswith("+3 ménages atteints")
        visit = Visit.objects.get(day=tuesday)
        assert visit.start == dt.time(8, 30, 0) or visit.start > dt.time(8, 30)
        manual.refresh_from_db()
        assert manual.result["reached_household_ids"] == ids(world["households"]["A"])

    def test_positions_and_moves(self, manual, world):
        """Insert B before A, then move A to Wednesday: the order and days follow."""
        tuesday, wednesday = manual.days.order_by("date")
        services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["A"])
        services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["B"], position=1)
        assert served(manual) == [world["stops"]["B"].pk, world["stops"]["A"].pk]
        visit_a = Visit.objects.get(day=tuesday, stop=world["stops"]["A"])
        effect = services.move_visit(visit=visit_a, day=wednesday, position=1)
        assert effect.households_gained == 0
        assert list(wednesday.visits.values_list("stop_id", flat=True)) == [world["stops"]["A"].pk]
        assert list(tuesday.visits.values_list("stop_id", flat=True)) == [world["stops"]["B"].pk]

    def test_removing_a_stop_shows_the_households_lost(self, manual, world):
        tuesday = manual.days.order_by("date").first()
        services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["A"])
        effect = services.remove_visit(visit=Visit.objects.get(day=tuesday))
        assert effect.households_gained == -3
        assert effect.message().startswith("-3 ménages atteints")
        assert not Visit.objects.filter(day__plan=manual).exists()

    def test_a_day_too_long_is_reported_in_french(self, manual, world):
        """Adding the far stop C makes the day end far after 17:30: the edit is kept, and the problem said."""
        tuesday = manual.days.order_by("date").first()
        effect = services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["C"])
        assert effect.households_gained == 1
        assert any("dépasse 17:30" in issue for issue in effect.issues)
        manual.refresh_from_db()
        assert manual.result["issues"] == list(effect.issues)

    def test_the_same_stop_twice_a_day_is_refused_and_nothing_changes(self, manual, world):
        tuesday = manual.days.order_by("date").first()
        services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["A"])
        with pytest.raises(ValidationError, match="déjà desservi"):
            services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["A"])
        assert served(manual) == [world["stops"]["A"].pk]

    def test_a_visit_with_appointments_is_not_removed(self, manual, world):
        """Residents booked it: staff cancel the appointments first."""
        tuesday = manual.days.order_by("date").first()
        services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["A"])
        visit = Visit.objects.get(day=tuesday)
        AppointmentFactory(visit=visit)
        with pytest.raises(ValidationError, match="rendez-vous"):
            services.remove_visit(visit=visit)
        assert Visit.objects.filter(pk=visit.pk).exists()


class TestPublish:
    def test_one_published_plan_at_a_time(self, landlord, manual, world):
        """Publishing a plan unpublishes the organisation's other one, not another landlord's."""
        services.add_visit(plan=manual, day=manual.days.first(), stop=world["stops"]["A"])
        previous = TourPlanFactory(organisation=landlord, published=True)
        elsewhere = TourPlanFactory(published=True)
        assert services.publish_plan(plan=manual) == 1
        previous.refresh_from_db()
        elsewhere.refresh_from_db()
        manual.refresh_from_db()
        assert manual.published_at is not None
        assert previous.published_at is None
        assert elsewhere.published_at is not None
        assert list(TourPlan.objects.for_organisation(landlord).published()) == [manual]

    def test_an_empty_plan_is_not_published(self, manual):
        with pytest.raises(ValidationError, match="aucun arrêt"):
            services.publish_plan(plan=manual)


class TestComputePlanCommand:
    def test_prints_the_progress(self, landlord, world, monkeypatch):
        """The terminal shows each step up to 100 %, then the coverage."""
        monkeypatch.setattr("proxima.agency.services.timezone.localdate", lambda: TODAY)
        plan = one_day_plan(landlord)
        out = io.StringIO()
        call_command("compute_plan", str(plan.pk), stdout=out)
        lines = out.getvalue().splitlines()
        assert lines[0].endswith("1 % Lecture des arrêts et des ménages")
        assert "[####################] 100 %" in out.getvalue()
        assert lines[-1] == "Coverage: 10.0"

    def test_a_manual_plan_is_refused(self, landlord, world):
        plan = one_day_plan(landlord, kind=PlanKind.MANUAL)
        with pytest.raises(CommandError, match="by hand"):
            call_command("compute_plan", str(plan.pk))

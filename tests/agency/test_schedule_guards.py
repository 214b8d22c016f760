"""What residents booked and what staff recorded survives changes to the schedule: an edit, a new computation, a
publication, an unpublication or a stop deactivated never silently moves or deletes an appointment or a visit log."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proxima.agency import services
from proxima.agency.enums import Forcing, PlanKind, PlanStatus
from proxima.agency.models import Appointment, TourPlan, Visit, VisitLog
from tests.agency.factories import AppointmentFactory, TourPlanFactory, VisitLogFactory
from tests.agency.factories_plans import TODAY, one_day_plan, tiny_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The plans start on 1 December 2026; today is before."""
    monkeypatch.setattr("proxima.agency.services.timezone.localdate", lambda: TODAY)


@pytest.fixture
def world(landlord):
    return tiny_world(landlord)


@pytest.fixture
def manual(landlord, world):
    """A published manual plan: stop A alone on Tuesday 1 December, 08:30 to 10:30."""
    plan = services.create_plan(
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
    services.add_visit(plan=plan, day=plan.days.order_by("date").first(), stop=world["stops"]["A"])
    services.publish_plan(plan=plan)
    return plan


def visit_a(plan, world) -> Visit:
    return Visit.objects.get(day__plan=plan, stop=world["stops"]["A"])


def book(visit, minutes=0) -> Appointment:
    start = dt.datetime.combine(dt.date.min, visit.start) + dt.timedelta(minutes=minutes)
    return AppointmentFactory(visit=visit, starts_at=start.time(), ends_at=(start + dt.timedelta(minutes=20)).time())


class TestEdits:
    def test_a_stop_added_before_a_booked_visit_is_refused(self, manual, world):
        """B first would open A two hours later than residents were told: refused, nothing changes."""
        visit = visit_a(manual, world)
        opening = visit.start
        book(visit)
        with pytest.raises(ValidationError, match="décalerait le passage à « Les Acacias »"):
            services.add_visit(plan=manual, day=visit.day, stop=world["stops"]["B"], position=1)
        visit.refresh_from_db()
        assert visit.start == opening
        assert not Visit.objects.filter(day__plan=manual, stop=world["stops"]["B"]).exists()

    def test_a_stop_added_after_a_booked_visit_is_accepted(self, manual, world):
        visit = visit_a(manual, world)
        opening = visit.start
        book(visit)
        services.add_visit(plan=manual, day=visit.day, stop=world["stops"]["B"])
        visit.refresh_from_db()
        assert visit.start == opening
        assert Visit.objects.filter(day__plan=manual, stop=world["stops"]["B"]).exists()

    def test_cancelled_appointments_do_not_hold_the_visit(self, manual, world):
        visit = visit_a(manual, world)
        book(visit)
        Appointment.objects.filter(visit=visit).update(status="cancelled")
        services.add_visit(plan=manual, day=visit.day, stop=world["stops"]["B"], position=1)
        visit.refresh_from_db()
        assert visit.position == 1

    def test_a_logged_visit_is_neither_removed_nor_moved(self, manual, world):
        """The log is what staff recorded there: removing the visit would delete it."""
        visit = visit_a(manual, world)
        log = VisitLogFactory(visit=visit, anonymous_count=4)
        with pytest.raises(ValidationError, match="a un compte rendu"):
            services.remove_visit(visit=visit)
        wednesday = manual.days.order_by("date").last()
        with pytest.raises(ValidationError, match="a un compte rendu"):
            services.move_visit(visit=visit, day=wednesday)
        assert VisitLog.objects.filter(pk=log.pk, visit=visit, anonymous_count=4).exists()

    def test_the_page_says_why_and_changes_nothing(self, client, manual, world, staff):
        client.force_login(staff)
        visit = visit_a(manual, world)
        book(visit)
        response = client.post(
            reverse("agency:visit_add", args=[manual.pk]),
            {"stop": world["stops"]["B"].pk, "day": visit.day_id, "position": "1"},
            follow=True,
        )
        assert "où des habitants ont rendez-vous" in response.content.decode()
        assert list(Visit.objects.filter(day__plan=manual).values_list("stop_id", flat=True)) == [
            world["stops"]["A"].pk
        ]

    def test_a_past_day_of_a_published_plan_is_not_edited(self, manual, world, monkeypatch):
        """On 2 December, Tuesday 1st is history: nothing is added, moved or removed there; Wednesday still is."""
        monkeypatch.setattr("proxima.agency.services.timezone.localdate", lambda: dt.date(2026, 12, 2))
        visit = visit_a(manual, world)
        tuesday, wednesday = manual.days.order_by("date")
        with pytest.raises(ValidationError, match="Le mardi 1er décembre est passé"):
            services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["B"])
        with pytest.raises(ValidationError, match="est passé"):
            services.move_visit(visit=visit, day=wednesday)
        with pytest.raises(ValidationError, match="est passé"):
            services.remove_visit(visit=visit)
        services.add_visit(plan=manual, day=wednesday, stop=world["stops"]["B"])
        assert Visit.objects.filter(day=tuesday).count() == 1 and Visit.objects.filter(day=wednesday).count() == 1

    @pytest.mark.skipif(not connection.features.has_select_for_update, reason="the database locks no rows")
    def test_an_edit_locks_the_plan(self, manual, world):
        """Two edits at once wait for each other instead of each writing a schedule without the other's edit."""
        with CaptureQueriesContext(connection) as queries:
            services.add_visit(plan=manual, day=visit_a(manual, world).day, stop=world["stops"]["B"])
        table = TourPlan._meta.db_table
        assert any(table in q["sql"] and "FOR UPDATE" in q["sql"] for q in queries.captured_queries)


class TestComputation:
    @pytest.fixture
    def planned(self, landlord, world):
        plan = one_day_plan(landlord, name="Tournée calculée")
        services.run_planning(plan.pk, today=TODAY)
        plan.refresh_from_db()
        return plan

    def test_a_plan_with_appointments_is_not_queued_again(self, planned, world):
        book(visit_a(planned, world))
        with pytest.raises(ValidationError, match="rendez-vous réservés ou des comptes rendus"):
            services.start_planning(plan=planned)
        planned.refresh_from_db()
        assert planned.status == PlanStatus.READY

    def test_a_computation_that_would_delete_a_booked_visit_fails_and_keeps_it(self, planned, world):
        """The worker's own check: A forced out would be dropped with its appointment."""
        appointment = book(visit_a(planned, world))
        world["stops"]["A"].forcing = Forcing.FORCED_OUT
        world["stops"]["A"].save()
        outcome = services.run_planning(planned.pk, today=TODAY)
        assert outcome["status"] == PlanStatus.FAILED
        assert "a des rendez-vous réservés" in outcome["error"]
        assert Appointment.objects.filter(pk=appointment.pk, status="booked").exists()


class TestPublication:
    def test_a_plan_with_appointments_to_come_stays_published(self, manual, world):
        book(visit_a(manual, world))
        with pytest.raises(ValidationError, match="1 rendez-vous réservé à venir"):
            services.unpublish_plan(plan=manual)
        manual.refresh_from_db()
        assert manual.published_at is not None

    def test_past_appointments_do_not_hold_it(self, manual, world, monkeypatch):
        book(visit_a(manual, world))
        monkeypatch.setattr("proxima.agency.services.timezone.localdate", lambda: dt.date(2026, 12, 2))
        services.unpublish_plan(plan=manual)
        manual.refresh_from_db()
        assert manual.published_at is None

    def test_another_plan_does_not_replace_one_with_appointments_to_come(self, landlord, manual, world):
        book(visit_a(manual, world))
        other = TourPlanFactory(organisation=landlord, status=PlanStatus.READY)
        day = other.days.create(date=dt.date(2026, 12, 8), week=0)
        Visit.objects.create(day=day, stop=world["stops"]["B"], position=0, start=dt.time(9), end=dt.time(11))
        with pytest.raises(ValidationError, match="« Tournée actuelle », que celle-ci remplacerait"):
            services.publish_plan(plan=other)
        manual.refresh_from_db()
        other.refresh_from_db()
        assert manual.published_at is not None and other.published_at is None

    def test_the_unpublish_page_says_why(self, client, manual, world, staff):
        client.force_login(staff)
        book(visit_a(manual, world))
        response = client.post(reverse("agency:plan_unpublish", args=[manual.pk]), follow=True)
        assert "annulez-les depuis la page Rendez-vous" in response.content.decode()
        manual.refresh_from_db()
        assert manual.published_at is not None


class TestStopDeactivation:
    def test_a_stop_with_appointments_to_come_stays_active(self, client, manual, world, staff):
        client.force_login(staff)
        book(visit_a(manual, world))
        stop = world["stops"]["A"]
        response = client.post(reverse("agency:stop_deactivate", args=[stop.pk]), {"active": "0"}, follow=True)
        assert "L&#x27;arrêt « Les Acacias » a 1 rendez-vous réservé à venir" in response.content.decode()
        stop.refresh_from_db()
        assert stop.is_active

    def test_without_appointments_it_is_deactivated(self, manual, world):
        stop = world["stops"]["A"]
        services.set_stop_active(stop=stop, active=False)
        stop.refresh_from_db()
        assert not stop.is_active


class TestLogsOfAReplacedPlan:
    def test_a_logged_visit_stays_within_reach(self, client, manual, world, staff):
        """Once the plan is no longer published, its logged visits still open; the others do not."""
        client.force_login(staff)
        logged = visit_a(manual, world)
        VisitLogFactory(visit=logged, anonymous_count=2)
        wednesday = manual.days.order_by("date").last()
        services.add_visit(plan=manual, day=wednesday, stop=world["stops"]["B"])
        unlogged = Visit.objects.get(day=wednesday)
        manual.published_at = None
        manual.save(update_fields=["published_at"])
        assert client.get(reverse("agency:visit_log", args=[logged.pk])).status_code == 200
        assert client.get(reverse("agency:visit_log", args=[unlogged.pk])).status_code == 404

    def test_another_landlords_logged_visit_is_404(self, client, manual, world, other_landlord):
        from proxima.accounts.enums import Role
        from tests.accounts.factories import UserFactory

        logged = visit_a(manual, world)
        VisitLogFactory(visit=logged)
        client.force_login(UserFactory(organisation=other_landlord, role=Role.STAFF))
        assert client.get(reverse("agency:visit_log", args=[logged.pk])).status_code == 404

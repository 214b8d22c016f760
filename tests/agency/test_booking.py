"""Booking rules: the slots of a visit, one booking per slot, nothing in the past or unpublished, cancelling."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from proxima.agency import appointments
from proxima.agency.enums import AppointmentStatus, VisitTopic
from proxima.agency.models import Appointment
from tests.agency.factories import AppointmentFactory, TourPlanFactory
from tests.agency.factories_public import agency_settings, published_visit
from tests.households.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

T = dt.time


def book(visit, starts_at=dt.time(9, 30), **kwargs):
    return appointments.book_appointment(
        visit=visit, starts_at=starts_at, name=kwargs.pop("name", "Mme Martin"), topic=VisitTopic.TECHNICAL, **kwargs
    )


class TestSlotTimes:
    def test_whole_slots_from_the_opening(self):
        """9:30–11:30 in slots of 20 minutes: six slots, the last ending at closing time."""
        slots = appointments.slot_times(T(9, 30), T(11, 30), 20)
        assert [s for s, _ in slots] == [T(9, 30), T(9, 50), T(10, 10), T(10, 30), T(10, 50), T(11, 10)]
        assert slots[-1][1] == T(11, 30)

    def test_a_remainder_shorter_than_a_slot_is_not_offered(self):
        """9:00–10:00 in slots of 25 minutes: 9:00 and 9:25; 9:50 would end after closing."""
        assert appointments.slot_times(T(9, 0), T(10, 0), 25) == [(T(9, 0), T(9, 25)), (T(9, 25), T(9, 50))]

    @pytest.mark.parametrize("minutes", [0, -5])
    def test_invalid_length(self, minutes):
        """A slot lasts at least one minute."""
        with pytest.raises(ValueError, match="Expected minutes >= 1"):
            appointments.slot_times(T(9, 0), T(10, 0), minutes)


class TestVisitSlots:
    def test_slot_length_comes_from_the_settings(self, landlord):
        """With 30-minute slots, a 9:30–11:30 visit has four; a booked one is not free."""
        agency_settings(landlord, slot_minutes=30)
        visit = published_visit(landlord)
        book(visit, T(10, 0))
        slots = appointments.visit_slots(visit)
        assert [(s.value, s.is_free) for s in slots] == [
            ("09:30", True),
            ("10:00", False),
            ("10:30", True),
            ("11:00", True),
        ]
        assert (slots[0].label, slots[1].label) == ("9 h 30", "10 h")

    def test_default_length_without_settings(self, landlord):
        """Without agency settings, slots last 20 minutes (the model's default)."""
        assert len(appointments.visit_slots(published_visit(landlord))) == 6

    def test_slots_that_have_begun_are_past(self, landlord):
        """On the day, the slots before the current time cannot be booked."""
        visit = published_visit(landlord, days=0, start=T(9, 0), end=T(10, 0))
        now = timezone.make_aware(dt.datetime.combine(visit.day.date, T(9, 25)))
        slots = appointments.visit_slots(visit, now=now)
        assert [(s.value, s.is_bookable) for s in slots] == [("09:00", False), ("09:20", False), ("09:40", True)]


class TestBookAppointment:
    def test_books_the_slot(self, landlord):
        """A booking holds the slot's times, the person's details and a 6-character code; a resident's has no author."""
        visit = published_visit(landlord)
        appointment = book(visit, T(9, 50), name="  Mme   Martin ", phone=" 06 12 34 56 78 ")
        appointment.refresh_from_db()
        assert (appointment.starts_at, appointment.ends_at) == (T(9, 50), T(10, 10))
        assert appointment.name == "Mme   Martin" and appointment.phone == "06 12 34 56 78"
        assert appointment.status == AppointmentStatus.BOOKED
        assert len(appointment.code) == 6 and appointment.booked_by is None

    def test_a_slot_cannot_be_booked_twice(self, landlord):
        """The second booking of a slot is refused with a message; the first stays."""
        visit = published_visit(landlord)
        first = book(visit)
        with pytest.raises(ValidationError) as error:
            book(visit, name="M. Petit")
        assert error.value.code == "slot_taken"
        assert list(Appointment.objects.booked()) == [first]

    def test_a_race_lost_on_the_constraint_gives_the_same_message(self, landlord, monkeypatch):
        """When another booking commits between the check and the insert, the constraint refuses it clearly."""
        visit = published_visit(landlord)
        book(visit)
        # The check before the insert misses the other booking (not yet committed); the one after sees it.
        monkeypatch.setattr(appointments, "_slot_is_taken", _taken_after_first_call())
        with pytest.raises(ValidationError) as error:
            book(visit, name="M. Petit")
        assert error.value.code == "slot_taken"
        assert Appointment.objects.count() == 1

    def test_a_cancelled_slot_can_be_booked_again(self, landlord):
        """Cancelling frees the slot: the constraint counts booked appointments only."""
        visit = published_visit(landlord)
        appointments.cancel_appointment(appointment=book(visit))
        again = book(visit, name="M. Petit")
        assert Appointment.objects.booked().get() == again

    def test_a_used_code_is_drawn_again(self, landlord, monkeypatch):
        """A code already in use (another appointment) makes the booking draw a new one, not fail."""
        visit = published_visit(landlord)
        AppointmentFactory(visit=visit, starts_at=T(10, 30), ends_at=T(10, 50), code="AAAAAA")
        codes = iter(["AAAAAA", "BBBBBB"])
        monkeypatch.setattr(appointments, "new_confirmation_code", lambda: next(codes))
        assert book(visit).code == "BBBBBB"

    def test_no_booking_in_the_past(self, landlord):
        """A slot that has begun, or a visit of an earlier day, cannot be booked."""
        visit = published_visit(landlord, days=0, start=T(9, 0), end=T(10, 0))
        now = timezone.make_aware(dt.datetime.combine(visit.day.date, T(9, 0)))
        with pytest.raises(ValidationError) as error:
            book(visit, T(9, 0), now=now)
        assert error.value.code == "past"
        yesterday = published_visit(landlord, days=-1)
        with pytest.raises(ValidationError) as error:
            book(yesterday)
        assert error.value.code == "past"
        assert not Appointment.objects.exists()

    def test_no_booking_on_an_unpublished_plan(self, landlord):
        """A draft plan's visits are not open to appointments."""
        draft = TourPlanFactory(organisation=landlord, published_at=None)
        visit = published_visit(landlord, plan=draft)
        with pytest.raises(ValidationError) as error:
            book(visit)
        assert error.value.code == "not_bookable"

    def test_no_booking_at_a_withdrawn_stop(self, landlord):
        """A stop staff set inactive (the visit is called off) takes no appointment."""
        visit = published_visit(landlord)
        visit.stop.is_active = False
        visit.stop.save()
        with pytest.raises(ValidationError) as error:
            book(visit)
        assert error.value.code == "not_bookable"

    @pytest.mark.parametrize("starts_at", [T(9, 40), T(11, 30), T(8, 0)])
    def test_only_the_visits_slots(self, landlord, starts_at):
        """A time between slots, at closing or before opening is refused."""
        with pytest.raises(ValidationError) as error:
            book(published_visit(landlord), starts_at)
        assert error.value.code == "not_a_slot"

    def test_staff_link_a_household_of_the_organisation_only(self, landlord, other_landlord):
        """Staff may link the resident's household; another landlord's household is a programming error."""
        visit = published_visit(landlord)
        household = HouseholdFactory(dwelling__building__site__organisation=landlord)
        assert book(visit, household=household).household == household
        stranger = HouseholdFactory(dwelling__building__site__organisation=other_landlord)
        with pytest.raises(ValueError, match="household of the visit's organisation"):
            book(visit, T(10, 10), household=stranger)


def _taken_after_first_call():
    calls = []

    def taken(visit, starts_at):
        calls.append(starts_at)
        return len(calls) > 1

    return taken


class TestCancelAppointment:
    def test_cancel(self, landlord):
        """Cancelling records when, and frees the slot."""
        appointment = book(published_visit(landlord))
        cancelled = appointments.cancel_appointment(appointment=appointment)
        cancelled.refresh_from_db()
        assert cancelled.status == AppointmentStatus.CANCELLED and cancelled.cancelled_at is not None
        assert appointments.visit_slots(appointment.visit)[0].is_free

    def test_cancelling_twice_is_harmless(self, landlord):
        """A second cancellation (a double click, the resident then the agent) changes nothing."""
        appointment = book(published_visit(landlord))
        first = appointments.cancel_appointment(appointment=appointment)
        second = appointments.cancel_appointment(appointment=appointment)
        assert second.status == AppointmentStatus.CANCELLED
        assert second.cancelled_at == first.cancelled_at

    def test_a_past_appointment_is_not_cancelled(self, landlord):
        """Once begun, an appointment happened or was missed: it cannot be cancelled."""
        appointment = AppointmentFactory(visit=published_visit(landlord, days=-1))
        with pytest.raises(ValidationError) as error:
            appointments.cancel_appointment(appointment=appointment)
        assert error.value.code == "past"
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED


class TestFindByCode:
    def test_finds_only_the_codes_appointment(self, landlord):
        """The code, typed with spaces or in lower case, gives its appointment and no other."""
        visit = published_visit(landlord)
        mine = book(visit)
        book(visit, T(9, 50), name="M. Petit")
        typed = " ".join(mine.code.lower())
        assert appointments.find_by_code(landlord, typed) == mine

    def test_unknown_or_another_organisations_code(self, landlord, other_landlord):
        """A code of another landlord's appointment is unknown here; an empty code finds nothing."""
        theirs = book(published_visit(other_landlord))
        assert appointments.find_by_code(landlord, theirs.code) is None
        assert appointments.find_by_code(landlord, "") is None
        assert appointments.find_by_code(other_landlord, theirs.code) == theirs

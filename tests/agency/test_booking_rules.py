"""Booking rules that hold over time: slots never overlap a booking, a double submit, visits no longer open."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.agency import appointments
from proxima.agency.enums import AppointmentStatus, VisitTopic
from proxima.agency.models import AgencySettings, Appointment
from tests.accounts.factories import UserFactory
from tests.agency.factories import AppointmentFactory
from tests.agency.factories_public import agency_settings, published_visit

pytestmark = pytest.mark.django_db

T = dt.time
FORM = {"slot": "09:50", "name": "Mme Martin", "phone": "06 12 34 56 78", "topic": VisitTopic.ADMINISTRATIVE}


def book(visit, starts_at, name="Mme Martin"):
    return appointments.book_appointment(visit=visit, starts_at=starts_at, name=name, topic=VisitTopic.TECHNICAL)


def set_slot_minutes(organisation, minutes):
    AgencySettings.objects.filter(organisation=organisation).update(slot_minutes=minutes)


class TestSlotLengthChanged:
    """A booking keeps its times when the slot length changes: the new slots it overlaps are taken."""

    @pytest.fixture
    def visit(self, landlord):
        agency_settings(landlord, slot_minutes=20)
        visit = published_visit(landlord)  # 9:30–11:30
        book(visit, T(9, 50))  # 9:50–10:10
        set_slot_minutes(landlord, 30)
        return visit

    def test_overlapped_slots_are_not_free(self, visit):
        """With 30-minute slots, 9:30–10:00 and 10:00–10:30 both overlap 9:50–10:10."""
        slots = appointments.visit_slots(visit)
        assert [(s.value, s.is_free) for s in slots] == [
            ("09:30", False),
            ("10:00", False),
            ("10:30", True),
            ("11:00", True),
        ]

    @pytest.mark.parametrize("starts_at", [T(9, 30), T(10, 0)])
    def test_overlapping_bookings_are_refused(self, visit, starts_at):
        with pytest.raises(ValidationError) as error:
            book(visit, starts_at, name="M. Petit")
        assert error.value.code == "slot_taken"
        assert Appointment.objects.booked().count() == 1

    def test_a_slot_that_only_touches_a_booking_is_free(self, visit):
        """10:30–11:00 begins after 10:10: it is booked normally."""
        assert book(visit, T(10, 30), name="M. Petit").ends_at == T(11, 0)

    def test_shorter_slots_inside_a_longer_booking(self, landlord):
        """Booked 10:00–10:30, then 10-minute slots: 10:00, 10:10 and 10:20 are taken, 9:50 and 10:30 are free."""
        agency_settings(landlord, slot_minutes=30)
        visit = published_visit(landlord)
        book(visit, T(10, 0))
        set_slot_minutes(landlord, 10)
        free = {s.value: s.is_free for s in appointments.visit_slots(visit)}
        assert (free["09:50"], free["10:00"], free["10:10"], free["10:20"], free["10:30"]) == (
            True,
            False,
            False,
            False,
            True,
        )
        for starts_at in (T(10, 10), T(10, 20)):
            with pytest.raises(ValidationError):
                book(visit, starts_at, name="M. Petit")
        assert book(visit, T(10, 30), name="M. Petit").starts_at == T(10, 30)

    def test_a_cancelled_booking_does_not_overlap(self, visit):
        appointments.cancel_appointment(appointment=Appointment.objects.get())
        assert all(s.is_free for s in appointments.visit_slots(visit))
        assert book(visit, T(10, 0), name="M. Petit").starts_at == T(10, 0)

    def test_the_public_form_does_not_offer_overlapped_slots(self, client, visit):
        url = reverse("agency_public:book", args=[visit.day.plan.organisation.slug, visit.pk])
        content = client.get(url).content.decode()
        assert 'value="09:30"' not in content and 'value="10:00"' not in content
        assert 'value="10:30"' in content
        assert client.post(url, {**FORM, "slot": "10:00"}).status_code == 422
        assert Appointment.objects.count() == 1


class TestDoubleSubmit:
    @pytest.fixture
    def visit(self, landlord):
        agency_settings(landlord)
        return published_visit(landlord, days=7)

    def url(self, visit):
        return reverse("agency_public:book", args=[visit.day.plan.organisation.slug, visit.pk])

    def test_the_second_submit_shows_the_confirmation(self, client, visit):
        """The same form sent twice: both answers lead to the confirmation of the one booking."""
        first = client.post(self.url(visit), FORM)
        second = client.post(self.url(visit), FORM)
        confirmation = reverse("agency_public:booked", args=[visit.day.plan.organisation.slug])
        assert (first.status_code, first.url) == (302, confirmation)
        assert (second.status_code, second.url) == (302, confirmation)
        appointment = Appointment.objects.get()
        page = client.get(confirmation).content.decode()
        assert appointment.code in page and "à 9 h 50" in page

    def test_the_confirmation_shown_is_the_resubmitted_booking(self, client, visit):
        """Booked 9:50 then 10:30, then the 9:50 form sent again: the confirmation shows 9:50."""
        client.post(self.url(visit), FORM)
        client.post(self.url(visit), {**FORM, "slot": "10:30"})
        response = client.post(self.url(visit), FORM, follow=True)
        first = Appointment.objects.get(starts_at=T(9, 50))
        assert first.code in response.content.decode()
        assert Appointment.objects.count() == 2

    def test_another_session_is_still_told_the_slot_is_taken(self, client, visit):
        client.post(self.url(visit), FORM)
        response = Client().post(self.url(visit), FORM)
        assert response.status_code == 422
        assert "plus libre" in response.content.decode()

    def test_another_name_in_the_same_session_is_told_the_slot_is_taken(self, client, visit):
        """Booking the same slot for a neighbour is not a double submit: the slot is not theirs."""
        client.post(self.url(visit), FORM)
        response = client.post(self.url(visit), {**FORM, "name": "M. Voisin"})
        assert response.status_code == 422
        assert Appointment.objects.count() == 1

    def test_a_cancelled_booking_is_not_held(self, client, visit):
        """Once cancelled, sending the form again books the slot anew."""
        client.post(self.url(visit), FORM)
        appointments.cancel_appointment(appointment=Appointment.objects.get())
        assert client.post(self.url(visit), FORM).status_code == 302
        assert Appointment.objects.booked().count() == 1 and Appointment.objects.count() == 2


class TestVisitNoLongerOpen:
    """Appointments booked before the plan was unpublished or the stop deactivated stay in the staff's hands."""

    @pytest.fixture
    def visit(self, landlord):
        agency_settings(landlord)
        return published_visit(landlord, days=7)

    @pytest.fixture
    def appointment(self, visit):
        return AppointmentFactory(visit=visit, name="Mme Martin")

    def unpublish(self, visit):
        plan = visit.day.plan
        plan.published_at = None
        plan.save(update_fields=["published_at"])

    def deactivate(self, visit):
        visit.stop.is_active = False
        visit.stop.save(update_fields=["is_active"])

    def test_unpublished_plan(self, client, staff, visit, appointment):
        self.unpublish(visit)
        client.force_login(staff)
        day = client.get(reverse("agency:appointments_day", args=[visit.day.date.isoformat()]))
        assert day.status_code == 200 and "Mme Martin" in day.content.decode()

        days = client.get(reverse("agency:appointment_days")).content.decode()
        assert visit.stop.name in days and "tournée retirée de la publication" in days
        assert reverse("agency:stop_letters", args=[visit.day.plan_id, visit.stop_id]) not in days

        page = client.get(reverse("agency:visit_appointments", args=[visit.pk]))
        content = page.content.decode()
        assert page.status_code == 200
        assert "Mme Martin" in content and appointment.code in content
        assert "n'est plus ouvert aux rendez-vous" in content
        assert 'name="slot"' not in content and 'name="name"' not in content
        assert reverse("agency:appointment_cancel", args=[appointment.pk]) in content
        assert AuditEvent.objects.filter(action=AuditAction.LIST, target_type="agency.Appointment").count() == 2

        cancel = client.post(reverse("agency:appointment_cancel", args=[appointment.pk]))
        assert cancel.status_code == 302
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED
        # With no booking left the visit is out of the staff's list: back to the day, not to a 404.
        assert cancel.url == reverse("agency:appointments_day", args=[visit.day.date.isoformat()])
        assert client.get(reverse("agency:visit_appointments", args=[visit.pk])).status_code == 404

    def test_cancel_keeps_the_visit_page_while_bookings_remain(self, client, staff, visit, appointment):
        AppointmentFactory(visit=visit, starts_at=T(10, 10), ends_at=T(10, 30), name="M. Petit")
        self.unpublish(visit)
        client.force_login(staff)
        cancel = client.post(reverse("agency:appointment_cancel", args=[appointment.pk]))
        assert cancel.url == reverse("agency:visit_appointments", args=[visit.pk])
        assert client.get(cancel.url).status_code == 200

    def test_deactivated_stop(self, client, staff, visit, appointment):
        self.deactivate(visit)
        client.force_login(staff)
        days = client.get(reverse("agency:appointment_days")).content.decode()
        assert visit.stop.name in days and "arrêt désactivé" in days
        page = client.get(reverse("agency:visit_appointments", args=[visit.pk])).content.decode()
        assert "Mme Martin" in page and 'name="slot"' not in page

    def test_booking_on_a_closed_visit_is_refused(self, client, staff, visit, appointment):
        """A booking form sent from an old page books nothing; the service refuses it too."""
        self.unpublish(visit)
        client.force_login(staff)
        url = reverse("agency:visit_appointments", args=[visit.pk])
        response = client.post(url, {**FORM, "slot": "10:30"}, follow=True)
        assert response.status_code == 200
        assert "n&#x27;est pas ouvert aux rendez-vous" in response.content.decode()  # the message, escaped
        assert Appointment.objects.count() == 1
        with pytest.raises(ValidationError) as error:
            book(visit, T(10, 30))
        assert error.value.code == "not_bookable"

    def test_open_visit_still_offers_the_form(self, client, staff, visit, appointment):
        client.force_login(staff)
        content = client.get(reverse("agency:visit_appointments", args=[visit.pk])).content.decode()
        assert 'name="slot"' in content and "n'est plus ouvert" not in content

    def test_visits_without_bookings_stay_hidden(self, client, staff, visit):
        """An unpublished plan's visit with no booked appointment is not a staff page (only cancelled ones)."""
        AppointmentFactory(visit=visit, status=AppointmentStatus.CANCELLED)
        self.unpublish(visit)
        client.force_login(staff)
        assert client.get(reverse("agency:visit_appointments", args=[visit.pk])).status_code == 404
        assert visit.stop.name not in client.get(reverse("agency:appointment_days")).content.decode()

    def test_another_organisations_staff_get_404(self, client, other_landlord, visit, appointment):
        self.unpublish(visit)
        client.force_login(UserFactory(organisation=other_landlord, role=Role.STAFF))
        assert client.get(reverse("agency:visit_appointments", args=[visit.pk])).status_code == 404
        assert client.post(reverse("agency:appointment_cancel", args=[appointment.pk])).status_code == 404
        day = client.get(reverse("agency:appointments_day", args=[visit.day.date.isoformat()])).content.decode()
        assert "Mme Martin" not in day
        assert visit.stop.name not in client.get(reverse("agency:appointment_days")).content.decode()
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED

"""Booking pages: residents book and cancel with a code; staff list, book for residents and cancel."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.agency.enums import AppointmentStatus, VisitTopic
from proxima.agency.models import Appointment
from proxima.agency.public_schedule import french_date
from proxima.agency.views import booking
from tests.accounts.factories import UserFactory
from tests.agency.factories import AppointmentFactory, TourPlanFactory
from tests.agency.factories_public import agency_settings, published_visit
from tests.households.factories import HouseholdFactory
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def visit(landlord):
    agency_settings(landlord)
    return published_visit(landlord, days=7)


def book_url(visit):
    return reverse("agency_public:book", args=[visit.day.plan.organisation.slug, visit.pk])


def cancel_url(organisation):
    return reverse("agency_public:cancel", args=[organisation.slug])


FORM = {"slot": "09:50", "name": "Mme Martin", "phone": "06 12 34 56 78", "topic": VisitTopic.ADMINISTRATIVE}


class TestPublicBooking:
    def test_form_offers_free_slots_only_and_no_household_lookup(self, client, visit):
        """The form lists the free slots (not the booked one) and asks no lease reference."""
        AppointmentFactory(visit=visit, starts_at=T(10, 10), ends_at=T(10, 30))
        response = client.get(book_url(visit))
        assert response.status_code == 200
        content = response.content.decode()
        assert 'value="09:30"' in content and 'value="11:10"' in content
        assert 'value="10:10"' not in content
        assert "household_reference" not in content and "Référence du bail" not in content
        assert french_date(visit.day.date) in content

    def test_booking_then_confirmation_with_code(self, client, visit):
        """Booking leads to a confirmation page with the code and how to cancel; nobody is named as author."""
        response = client.post(book_url(visit), FORM)
        assert response.status_code == 302
        assert response.url == reverse("agency_public:booked", args=[visit.day.plan.organisation.slug])
        appointment = Appointment.objects.get()
        assert (appointment.starts_at, appointment.name, appointment.topic) == (
            T(9, 50),
            "Mme Martin",
            "administrative",
        )
        assert appointment.booked_by is None and appointment.household is None
        page = client.get(response.url).content.decode()
        assert appointment.code in page
        assert "à 9 h 50" in page
        assert f"{cancel_url(visit.day.plan.organisation)}?code={appointment.code}" in page

    def test_confirmation_shows_only_this_sessions_booking(self, client, visit):
        """Another visitor opening the confirmation page sees no booking (sent to the schedule)."""
        client.post(book_url(visit), FORM)
        other = Client().get(reverse("agency_public:booked", args=[visit.day.plan.organisation.slug]))
        assert other.status_code == 302
        assert Appointment.objects.get().code not in other.content.decode()

    def test_a_slot_taken_meanwhile(self, client, visit):
        """When someone else took the slot since the page was opened, the form says so and offers the others."""
        page = client.get(book_url(visit))
        assert 'value="09:50"' in page.content.decode()
        AppointmentFactory(visit=visit, starts_at=T(9, 50), ends_at=T(10, 10))
        response = client.post(book_url(visit), FORM)
        assert response.status_code == 422
        assert "plus libre" in response.content.decode()
        assert Appointment.objects.count() == 1

    def test_race_on_the_slot_is_a_clear_message(self, client, visit, monkeypatch):
        """If the booking service finds the slot taken (the constraint), the resident is told, not shown an error."""
        from proxima.agency import appointments

        AppointmentFactory(visit=visit, starts_at=T(9, 50), ends_at=T(10, 10))
        form = booking.BookingForm
        # The form was built before the other booking committed: it still offers the slot.
        monkeypatch.setattr(
            booking,
            "BookingForm",
            lambda *a, slots, **k: form(*a, slots=[appointments.Slot(T(9, 50), T(10, 10))], **k),
        )
        response = client.post(book_url(visit), FORM)
        assert response.status_code == 409
        assert "vient d&#x27;être réservé" in response.content.decode()

    def test_missing_name(self, client, visit):
        """A name is needed to welcome the person; the error is linked to its field."""
        response = client.post(book_url(visit), {**FORM, "name": "  "})
        assert response.status_code == 422
        assert "Indiquez votre nom." in response.content.decode()
        assert not Appointment.objects.exists()

    def test_incomplete_phone(self, client, visit):
        response = client.post(book_url(visit), {**FORM, "phone": "06 12"})
        assert response.status_code == 422
        assert not Appointment.objects.exists()

    def test_no_booking_page_for_past_unpublished_or_foreign_visits(self, client, landlord, other_landlord, visit):
        """Yesterday's visit, a draft plan's visit and another landlord's visit have no booking page."""
        past = published_visit(landlord, days=-1)
        draft = published_visit(landlord, plan=TourPlanFactory(organisation=landlord))
        assert client.get(book_url(past)).status_code == 404
        assert client.get(book_url(draft)).status_code == 404
        foreign = reverse("agency_public:book", args=[other_landlord.slug, visit.pk])
        assert client.get(foreign).status_code == 404
        assert client.post(book_url(draft), FORM).status_code == 404

    def test_full_visit(self, client, visit):
        """When every slot is taken, the page says so and suggests coming without appointment."""
        for start in (T(9, 30), T(9, 50), T(10, 10), T(10, 30), T(10, 50), T(11, 10)):
            AppointmentFactory(
                visit=visit,
                starts_at=start,
                ends_at=(dt.datetime.combine(dt.date.today(), start) + dt.timedelta(minutes=20)).time(),
            )
        content = client.get(book_url(visit)).content.decode()
        assert "plus d'horaire libre" in content
        assert "<form" not in content.split("<main", 1)[1]

    def test_bookings_per_session_are_limited(self, client, visit):
        """A script cannot fill a day's slots from one session."""
        slots = ["09:30", "09:50", "10:10", "10:30", "10:50"]
        for slot in slots[: booking.BOOKINGS_PER_SESSION]:
            assert client.post(book_url(visit), {**FORM, "slot": slot}).status_code == 302
        blocked = client.post(book_url(visit), {**FORM, "slot": slots[booking.BOOKINGS_PER_SESSION]})
        assert blocked.status_code == 429
        assert Appointment.objects.count() == booking.BOOKINGS_PER_SESSION


class TestPublicCancel:
    def test_code_shows_the_booking_without_name_or_phone(self, client, visit):
        """The code shows the date, time, place and topic of its booking; not the name or phone given."""
        appointment = AppointmentFactory(visit=visit, name="Mme Secretnom", phone="0611223344")
        response = client.post(cancel_url(visit.day.plan.organisation), {"code": appointment.code.lower()})
        assert response.status_code == 200
        content = response.content.decode()
        assert french_date(visit.day.date) in content and visit.stop.name in content
        assert "Secretnom" not in content and "0611223344" not in content
        assert Appointment.objects.get().status == AppointmentStatus.BOOKED  # seeing it does not cancel it

    def test_cancel_then_cancel_again(self, client, visit):
        """Confirming cancels; confirming again (back button, double click) says it is already cancelled."""
        appointment = AppointmentFactory(visit=visit)
        data = {"code": appointment.code, "confirm": "1"}
        first = client.post(cancel_url(visit.day.plan.organisation), data)
        assert "Votre rendez-vous est annulé" in first.content.decode()
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED
        cancelled_at = appointment.cancelled_at
        second = client.post(cancel_url(visit.day.plan.organisation), {"code": appointment.code})
        assert second.status_code == 200
        assert "déjà annulé" in second.content.decode()
        appointment.refresh_from_db()
        assert appointment.cancelled_at == cancelled_at

    def test_code_prefilled_from_the_confirmation_link(self, client, visit):
        response = client.get(cancel_url(visit.day.plan.organisation) + "?code=ABC234")
        assert 'value="ABC234"' in response.content.decode()

    def test_unknown_code_and_another_landlords_code(self, client, landlord, other_landlord, visit):
        """A wrong code, or a code of another landlord's booking, finds nothing here."""
        theirs = AppointmentFactory(visit=published_visit(other_landlord))
        for code in ("ZZZZZZ", theirs.code):
            response = client.post(cancel_url(landlord), {"code": code, "confirm": "1"})
            assert response.status_code == 422
            assert "ne correspond à aucun rendez-vous" in response.content.decode()
        theirs.refresh_from_db()
        assert theirs.status == AppointmentStatus.BOOKED

    def test_guessing_codes_is_blocked(self, client, visit):
        """After 5 wrong codes in a session, even the right code is refused for a while (429)."""
        appointment = AppointmentFactory(visit=visit)
        for _ in range(booking.CODE_ATTEMPTS_PER_SESSION):
            client.post(cancel_url(visit.day.plan.organisation), {"code": "ZZZZZZ"})
        blocked = client.post(cancel_url(visit.day.plan.organisation), {"code": appointment.code, "confirm": "1"})
        assert blocked.status_code == 429
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED

    def test_guessing_from_many_sessions_is_blocked_by_address(self, visit):
        """New sessions do not reset the count: the address is limited too."""
        for _ in range(booking.CODE_ATTEMPTS_PER_ADDRESS):
            Client().post(cancel_url(visit.day.plan.organisation), {"code": "ZZZZZZ"})
        assert Client().post(cancel_url(visit.day.plan.organisation), {"code": "ZZZZZZ"}).status_code == 429

    def test_past_appointment(self, client, landlord):
        """An appointment that has begun is shown but cannot be cancelled any more."""
        appointment = AppointmentFactory(visit=published_visit(landlord, days=-1))
        response = client.post(cancel_url(landlord), {"code": appointment.code, "confirm": "1"})
        assert "déjà passé" in response.content.decode()
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED


class TestStaffPages:
    def test_days_list_counts_without_names(self, client, staff, visit):
        """The coming days with each visit's booked and total slots, and the letters' links."""
        AppointmentFactory(visit=visit, name="Mme Martin")
        AppointmentFactory(visit=visit, starts_at=T(9, 50), ends_at=T(10, 10), status=AppointmentStatus.CANCELLED)
        client.force_login(staff)
        response = client.get(reverse("agency:appointment_days"))
        content = response.content.decode()
        assert response.status_code == 200
        assert visit.stop.name in content and "Mme Martin" not in content
        day = response.context["days"][0]
        assert day["date"] == visit.day.date
        assert (day["visits"][0]["booked"], day["visits"][0]["slots"]) == (1, 6)
        assert reverse("agency:plan_letters", args=[visit.day.plan_id]) in content

    def test_days_list_queries_do_not_grow_with_visits(
        self, client, staff, landlord, visit, django_assert_num_queries
    ):
        """The list costs the same number of queries for one visit or several."""
        client.force_login(staff)
        client.get(reverse("agency:appointment_days"))  # session and user loaded once
        with django_assert_num_queries(5) as one:
            client.get(reverse("agency:appointment_days"))
        for days in (8, 9, 10):
            published_visit(landlord, days=days, plan=visit.day.plan)
        with django_assert_num_queries(len(one.captured_queries)):
            client.get(reverse("agency:appointment_days"))

    def test_visit_page_lists_names_and_is_audited(self, client, staff, visit):
        """The visit's appointments with names, codes and who booked; the list is in the audit trail."""
        appointment = AppointmentFactory(visit=visit, name="Mme Martin", phone="0611223344")
        client.force_login(staff)
        content = client.get(reverse("agency:visit_appointments", args=[visit.pk])).content.decode()
        assert "Mme Martin" in content and "0611223344" in content and appointment.code in content
        event = AuditEvent.objects.get(action=AuditAction.LIST, target_type="agency.Appointment")
        assert event.details["ids"] == [appointment.pk] and event.actor == staff

    def test_day_page_lists_the_days_appointments(self, client, staff, landlord, visit):
        """Every booked appointment of the day, across visits; cancelled ones are left out."""
        other = published_visit(landlord, days=7, plan=visit.day.plan, start=T(14, 0), end=T(16, 0))
        AppointmentFactory(visit=visit, name="Mme Martin")
        AppointmentFactory(visit=other, starts_at=T(14, 0), ends_at=T(14, 20), name="M. Petit")
        AppointmentFactory(
            visit=other, starts_at=T(14, 20), ends_at=T(14, 40), name="M. Annulé", status=AppointmentStatus.CANCELLED
        )
        client.force_login(staff)
        content = client.get(reverse("agency:appointments_day", args=[visit.day.date.isoformat()])).content.decode()
        assert content.index("Mme Martin") < content.index("M. Petit")
        assert "M. Annulé" not in content
        assert AuditEvent.objects.filter(action=AuditAction.LIST, target_type="agency.Appointment").count() == 1

    def test_bad_date_is_a_404(self, client, staff):
        client.force_login(staff)
        assert client.get(reverse("agency:appointments_day", args=["2026-13-45"])).status_code == 404

    def test_staff_book_for_a_resident_with_their_household(self, client, staff, landlord, visit):
        """Staff book on the phone, linking the household by its lease reference; the code is shown to read out."""
        household = HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-42")
        client.force_login(staff)
        response = client.post(
            reverse("agency:visit_appointments", args=[visit.pk]),
            {**FORM, "household_reference": "bail-42"},
            follow=True,
        )
        appointment = Appointment.objects.get()
        assert appointment.household == household and appointment.booked_by == staff
        assert appointment.code in response.content.decode()
        # Reading the linked household's reference in the list is audited as a household list.
        assert AuditEvent.objects.filter(
            action=AuditAction.LIST, target_type="households.Household", details__ids=[household.pk]
        ).exists()

    def test_references_differing_only_by_capitals(self, client, staff, landlord, visit):
        """As written, the reference designates its household; without the capitals it is ambiguous: refused."""
        site = SiteFactory(organisation=landlord)
        upper = HouseholdFactory(dwelling__building__site=site, reference="BAIL-7")
        HouseholdFactory(dwelling__building__site=site, reference="bail-7")
        client.force_login(staff)
        url = reverse("agency:visit_appointments", args=[visit.pk])
        refused = client.post(url, {**FORM, "household_reference": "Bail-7"})
        assert "aux majuscules près" in refused.content.decode()
        assert not Appointment.objects.exists()
        assert client.post(url, {**FORM, "household_reference": "BAIL-7"}).status_code == 302
        assert Appointment.objects.get().household == upper

    def test_field_agent_links_only_their_sites_households(self, client, landlord, visit):
        """A field agent cannot link (nor so find out) a household of a site not entrusted to them."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        mine = SiteFactory(organisation=landlord)
        mine.agents.add(agent)
        HouseholdFactory(dwelling__building__site=mine, reference="BAIL-MIEN")
        HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-AUTRE")
        client.force_login(agent)
        url = reverse("agency:visit_appointments", args=[visit.pk])
        refused = client.post(url, {**FORM, "household_reference": "BAIL-AUTRE"})
        assert refused.status_code == 200
        assert "Aucun ménage de vos résidences" in refused.content.decode()
        assert client.post(url, {**FORM, "household_reference": "BAIL-MIEN"}).status_code == 302
        assert Appointment.objects.get().household.reference == "BAIL-MIEN"

    def test_staff_cancel(self, client, staff, visit):
        """Staff cancel for a resident who called; a second cancel is harmless."""
        appointment = AppointmentFactory(visit=visit, name="Mme Martin")
        client.force_login(staff)
        url = reverse("agency:appointment_cancel", args=[appointment.pk])
        assert client.post(url).url == reverse("agency:visit_appointments", args=[visit.pk])
        assert client.post(url).status_code == 302
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED

    def test_read_only_users_cannot_see_names(self, client, landlord, visit):
        """Appointments name residents: read-only users get a 403."""
        client.force_login(UserFactory(organisation=landlord, role=Role.READ_ONLY))
        assert client.get(reverse("agency:visit_appointments", args=[visit.pk])).status_code == 403

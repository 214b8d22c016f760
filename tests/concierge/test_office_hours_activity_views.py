"""Office hours and activity pages: opening sessions, booking for an inhabitant, who came; registering, the
waiting list, the attendance sheet."""

import datetime as dt

import pytest
from django.urls import reverse

from proxima.concierge.enums import RegistrationStatus
from proxima.concierge.models import Activity, OfficeAppointment, OfficeHours, Registration
from proxima.households.models import Interaction
from tests.agency.factories import StopFactory
from tests.concierge.factories import (
    ActivityFactory,
    OfficeAppointmentFactory,
    OfficeHoursFactory,
    RegistrationFactory,
    at,
    in_days,
)
from tests.households.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(client, staff):
    client.force_login(staff)
    return client


class TestOfficeHoursPages:
    def test_open_weekly_at_a_bus_stop(self, logged, landlord):
        """Four weekly sessions at a stop of the mobile agency, in one form."""
        stop = StopFactory(organisation=landlord, name="Place du Marché")
        response = logged.post(
            reverse("concierge:office_hours_create"),
            {
                "title": "Aide aux démarches",
                "place_kind": "mobile_agency",
                "stop": stop.pk,
                "date": in_days(2).isoformat(),
                "start": "09:00",
                "end": "11:00",
                "slot_minutes": 30,
                "is_public": "on",
                "repeat_weeks": 4,
            },
        )
        assert response.status_code == 302
        assert OfficeHours.objects.filter(stop=stop).count() == 4

    def test_another_landlords_stop_is_not_offered(self, logged, landlord, other_landlord):
        stop = StopFactory(organisation=other_landlord)
        response = logged.post(
            reverse("concierge:office_hours_create"),
            {
                "title": "X",
                "place_kind": "mobile_agency",
                "stop": stop.pk,
                "date": in_days(2).isoformat(),
                "start": "09:00",
                "end": "11:00",
                "slot_minutes": 30,
                "repeat_weeks": 1,
            },
        )
        assert response.status_code == 200 and not OfficeHours.objects.exists()

    def test_end_before_start(self, logged):
        response = logged.post(
            reverse("concierge:office_hours_create"),
            {
                "title": "X",
                "place_kind": "concierge",
                "date": in_days(2).isoformat(),
                "start": "11:00",
                "end": "09:00",
                "slot_minutes": 30,
                "repeat_weeks": 1,
            },
        )
        assert "La permanence doit finir après son début." in response.content.decode()

    def test_book_for_a_tenant(self, logged, landlord):
        """Staff book a free slot for a tenant; the code to give is in the message; the slot is no longer offered."""
        session = OfficeHoursFactory(organisation=landlord)
        household = HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-9")
        url = reverse("concierge:office_hours_detail", args=[session.pk])
        response = logged.post(
            url,
            {"slot": "09:20", "name": "M. Petit", "household_reference": "BAIL-9", "received_via": "in_person"},
            follow=True,
        )
        appointment = OfficeAppointment.objects.get()
        assert appointment.household == household
        assert f"Code à lui donner : {appointment.code}" in response.content.decode()
        assert 'value="09:20"' not in logged.get(url).content.decode()
        assert Interaction.objects.get().channel == "concierge"

    def test_slot_taken_meanwhile(self, logged, landlord):
        session = OfficeHoursFactory(organisation=landlord)
        OfficeAppointmentFactory(office_hours=session, starts_at=dt.time(9, 20), ends_at=dt.time(9, 40))
        response = logged.post(
            reverse("concierge:office_hours_detail", args=[session.pk]),
            {"slot": "09:20", "name": "M. Petit", "received_via": "phone"},
        )
        assert response.status_code == 200
        assert OfficeAppointment.objects.count() == 1

    def test_attendance_buttons_once_begun(self, logged, landlord):
        """Once the slot has begun, staff note whether the person came."""
        appointment = OfficeAppointmentFactory(office_hours__organisation=landlord, office_hours__date=in_days(-1))
        page = logged.get(
            reverse("concierge:office_hours_detail", args=[appointment.office_hours_id])
        ).content.decode()
        assert reverse("concierge:appointment_attendance", args=[appointment.pk]) in page
        logged.post(reverse("concierge:appointment_attendance", args=[appointment.pk]), {"venu": "0"})
        appointment.refresh_from_db()
        assert appointment.attended is False

    def test_list_counts_bookings(self, logged, landlord):
        session = OfficeHoursFactory(organisation=landlord)
        OfficeAppointmentFactory(office_hours=session)
        OfficeAppointmentFactory(
            office_hours=session, starts_at=dt.time(9, 20), ends_at=dt.time(9, 40), status="cancelled"
        )
        OfficeHoursFactory(organisation=landlord, date=in_days(-3), title="Passée")
        response = logged.get(reverse("concierge:office_hours_list"))
        assert [s.booked for s in response.context["page"]] == [1]
        assert [
            s.title for s in logged.get(reverse("concierge:office_hours_list"), {"passees": "1"}).context["page"]
        ] == ["Passée"]

    def test_list_constant_queries(self, logged, landlord, django_assert_num_queries):
        """The sessions with their bookings counted, and where they are held, in a fixed number of queries."""
        OfficeHoursFactory(organisation=landlord, place_kind="mobile_agency", stop=StopFactory(organisation=landlord))
        # session, user, count, page rows with their stop, holder and bookings
        with django_assert_num_queries(4):
            logged.get(reverse("concierge:office_hours_list"))
        for _ in range(5):
            OfficeAppointmentFactory(office_hours__organisation=landlord)
        with django_assert_num_queries(4):
            response = logged.get(reverse("concierge:office_hours_list"))
        assert len(response.context["page"]) == 6


class TestActivityPages:
    def test_propose(self, logged, landlord, staff):
        starts = at(5, 14)
        response = logged.post(
            reverse("concierge:activity_create"),
            {
                "title": "Sortie au musée",
                "kind": "cultural",
                "place": "Musée Bertrand",
                "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (starts + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                "capacity": 12,
            },
        )
        assert response.status_code == 302
        activity = Activity.objects.get()
        assert (activity.created_by, activity.starts_at) == (staff, starts)

    def test_register_until_full_then_waiting_list(self, logged, landlord):
        activity = ActivityFactory(organisation=landlord, capacity=2)
        url = reverse("concierge:activity_detail", args=[activity.pk])
        logged.post(url, {"name": "Famille Roux", "places": 2})
        response = logged.post(url, {"name": "M. Petit", "places": 1}, follow=True)
        assert "Complet : M. Petit est sur la liste d&#x27;attente." in response.content.decode()
        assert list(Registration.objects.order_by("pk").values_list("status", flat=True)) == ["confirmed", "waiting"]
        assert response.context["activity"].waiting == 1

    def test_unregister_tells_whom_to_call(self, logged, landlord):
        """Cancelling a registration gives the place to the waiting list and names who to call."""
        activity = ActivityFactory(organisation=landlord, capacity=1)
        first = RegistrationFactory(activity=activity)
        RegistrationFactory(activity=activity, name="Mme Blanc", phone="0612345678", status=RegistrationStatus.WAITING)
        response = logged.post(reverse("concierge:registration_cancel", args=[first.pk]), follow=True)
        assert "prévenez Mme Blanc (0612345678)" in response.content.decode()

    def test_attendance_sheet(self, logged, landlord):
        """After it started, the sheet lists the confirmed registrations; ticked ones are present."""
        activity = ActivityFactory(organisation=landlord, past=True)
        came = RegistrationFactory(activity=activity, name="Anne")
        RegistrationFactory(activity=activity, name="Bruno")
        page = logged.get(reverse("concierge:activity_detail", args=[activity.pk]))
        assert page.context["attendance_form"] is not None
        response = logged.post(
            reverse("concierge:activity_attendance", args=[activity.pk]), {"present": [came.pk]}, follow=True
        )
        assert "1 présent(s), 1 absent(s)" in response.content.decode()
        assert list(Registration.objects.order_by("name").values_list("attended", flat=True)) == [True, False]

    def test_registrations_export(self, logged, landlord):
        activity = ActivityFactory(organisation=landlord)
        RegistrationFactory(activity=activity, name="Anne Durand")
        response = logged.get(reverse("concierge:activity_detail", args=[activity.pk]), {"format": "csv"})
        assert "Anne Durand" in b"".join(response.streaming_content).decode("utf-8-sig")

    def test_list_figures(self, logged, landlord, django_assert_num_queries):
        """Places taken, waiting list and attendance per activity, in a fixed number of queries."""
        activity = ActivityFactory(organisation=landlord, capacity=3)
        RegistrationFactory(activity=activity, places=2)
        RegistrationFactory(activity=activity, status=RegistrationStatus.WAITING)
        # session, user, count, page
        with django_assert_num_queries(4):
            response = logged.get(reverse("concierge:activity_list"))
        [row] = response.context["page"]
        assert (row.taken, row.waiting, row.present) == (2, 1, 0)

"""Appointments lose the name and phone number given 30 days after the visit; the rest stays for the figures."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from proxima.accounts.models import AuditEvent
from proxima.agency.enums import AppointmentStatus
from proxima.agency.models import Appointment
from proxima.agency.retention import ERASED_NAME, forget_appointments
from tests.agency.factories import AppointmentFactory, TourDayFactory, TourPlanFactory, VisitFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


def appointment_on(organisation, date, **kwargs) -> Appointment:
    plan = TourPlanFactory(organisation=organisation, published=True, start_date=date)
    visit = VisitFactory(day=TourDayFactory(plan=plan, date=date, week=0))
    return AppointmentFactory(visit=visit, name="Mme Martin", phone="06 12 34 56 78", **kwargs)


class TestForget:
    def test_after_30_days_the_name_and_phone_are_erased(self, landlord):
        old = appointment_on(landlord, TODAY - dt.timedelta(days=31))
        cancelled = appointment_on(landlord, TODAY - dt.timedelta(days=40), status=AppointmentStatus.CANCELLED)
        recent = appointment_on(landlord, TODAY - dt.timedelta(days=30))
        assert forget_appointments(today=TODAY, wet_run=True) == [cancelled, old]
        for appointment in (old, cancelled):
            appointment.refresh_from_db()
            assert (appointment.name, appointment.phone) == (ERASED_NAME, "")
        assert cancelled.status == AppointmentStatus.CANCELLED and old.topic and old.starts_at
        recent.refresh_from_db()
        assert (recent.name, recent.phone) == ("Mme Martin", "06 12 34 56 78")

    def test_a_dry_run_changes_nothing_and_a_second_run_erases_nothing_more(self, landlord):
        old = appointment_on(landlord, TODAY - dt.timedelta(days=31))
        assert forget_appointments(today=TODAY, wet_run=False) == [old]
        old.refresh_from_db()
        assert old.name == "Mme Martin"
        forget_appointments(today=TODAY, wet_run=True)
        assert forget_appointments(today=TODAY, wet_run=True) == []


class TestCommand:
    def test_lists_then_erases_with_wet_run_and_audits(self, landlord):
        old = appointment_on(landlord, TODAY - dt.timedelta(days=31))
        out = io.StringIO()
        call_command("appointments", "forget", "--today", "2026-12-01", stdout=out)
        assert f"à effacer : rendez-vous n° {old.pk} (HLM A" in out.getvalue()
        assert "Simulation : 1 rendez-vous à effacer" in out.getvalue()
        old.refresh_from_db()
        assert old.name == "Mme Martin"
        out = io.StringIO()
        call_command("appointments", "forget", "--wet-run", "--today", "2026-12-01", stdout=out)
        assert "1 rendez-vous effacé(s)" in out.getvalue()
        old.refresh_from_db()
        assert old.name == ERASED_NAME
        events = AuditEvent.objects.filter(target_type="agency.Appointment", target_id=str(old.pk), action="update")
        assert [e.source for e in events] == ["commande : proxima appointments forget"]

    def test_an_invalid_date_is_refused(self):
        with pytest.raises(CommandError, match="date invalide « 2026-13-01 »"):
            call_command("appointments", "forget", "--today", "2026-13-01")


def test_the_booking_form_tells_residents(client, landlord):
    from django.urls import reverse

    from tests.agency.factories_public import agency_settings, published_visit

    agency_settings(landlord)
    visit = published_visit(landlord)
    response = client.get(reverse("agency_public:book", args=[landlord.slug, visit.pk]))
    assert "Votre nom et votre téléphone sont effacés 30 jours après le passage." in response.content.decode()

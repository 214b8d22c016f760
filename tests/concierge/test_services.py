"""The concierge's services: requests and their logged transitions, loans, appointments, activities, and the
contacts each writes into a tenant's interaction history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.concierge import services
from proxima.concierge.enums import AppointmentStatus, ReceivedVia, RegistrationStatus, RequestKind, RequestStatus
from proxima.concierge.models import ConciergeRequest, Loan, OfficeAppointment
from proxima.households.enums import InteractionChannel
from proxima.households.models import Interaction
from tests.accounts.factories import UserFactory
from tests.agency.factories import StopFactory
from tests.concierge.factories import (
    ActivityFactory,
    ConciergeRequestFactory,
    ConciergeSettingsFactory,
    ItemFactory,
    LoanFactory,
    OfficeAppointmentFactory,
    OfficeHoursFactory,
    RegistrationFactory,
    at,
    in_days,
)
from tests.households.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture
def household(landlord):
    return HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-1")


def new_request(landlord, staff, **kwargs):
    values = {
        "kind": RequestKind.SMALL_REPAIR,
        "received_via": ReceivedVia.PHONE,
        "name": "M. Petit",
        "phone": "0612345678",
    }
    return services.create_request(organisation=landlord, by=staff, **{**values, **kwargs})


class TestCreateRequest:
    def test_inhabitant_who_is_not_a_tenant(self, landlord, staff):
        """A name and a phone are enough; the request is new, due after its kind's delay, logged, with a code."""
        request = new_request(landlord, staff, description="Fuite sous l'évier", at=at(0, 10))
        assert request.status == RequestStatus.NEW
        assert request.due_on >= timezone.localdate() + dt.timedelta(days=14)
        assert len(request.code) == 6
        [event] = request.log.all()
        assert (event.action, event.from_status, event.to_status, event.by) == ("create", "", "new", staff)
        assert not Interaction.objects.exists()

    def test_tenant_request_goes_into_the_history(self, landlord, staff, household):
        """A tenant's request is a contact: by phone, theme its kind, outcome "demande reçue"."""
        request = new_request(landlord, staff, household=household, phone="", kind=RequestKind.BREAD)
        interaction = Interaction.objects.get()
        assert interaction.household == household
        assert (interaction.channel, interaction.source, interaction.theme, interaction.outcome) == (
            InteractionChannel.PHONE,
            "conciergerie",
            "dépôt de pain",
            "demande reçue",
        )
        assert request.code in interaction.note
        assert interaction.recorded_by == staff

    def test_nobody_to_call_back(self, landlord, staff):
        """Without household, phone or e-mail, nobody could answer the person: refused, nothing written."""
        with pytest.raises(ValidationError, match="téléphone ou une adresse e-mail"):
            new_request(landlord, staff, phone="")
        assert not ConciergeRequest.objects.exists()

    def test_assignee_must_work_at_the_concierge(self, landlord, staff):
        """A read-only user cannot be given a request."""
        reader = UserFactory(organisation=landlord, role=Role.READ_ONLY)
        with pytest.raises(ValidationError, match="ne travaille pas à la conciergerie"):
            new_request(landlord, staff, assigned_to=reader)

    def test_household_of_another_landlord(self, landlord, other_landlord, staff):
        other = HouseholdFactory(dwelling__building__site__organisation=other_landlord)
        with pytest.raises(ValueError, match="household of the organisation"):
            new_request(landlord, staff, household=other)


class TestTransitions:
    def test_start_takes_it_in_hand(self, landlord, staff):
        """Starting a request nobody holds gives it to whoever starts it; the log says who, from and to."""
        request = services.start_request(request=new_request(landlord, staff), by=staff)
        assert (request.status, request.assigned_to) == (RequestStatus.IN_PROGRESS, staff)
        event = request.log.last()
        assert (event.action, event.from_status, event.to_status, event.by) == ("start", "new", "in_progress", staff)

    def test_hold_needs_a_reason(self, landlord, staff):
        request = new_request(landlord, staff)
        with pytest.raises(ValidationError, match="ce qu'on attend"):
            services.hold_request(request=request, by=staff, reason=" ")
        request = services.hold_request(request=request, by=staff, reason="Pièce commandée")
        assert request.status == RequestStatus.ON_HOLD
        assert request.log.last().note == "Pièce commandée"
        assert services.resume_request(request=request, by=staff).status == RequestStatus.IN_PROGRESS

    def test_complete_records_the_outcome_and_the_contact(self, landlord, staff, household):
        """Completing needs the outcome; it closes the request and adds "demande traitée" to the history."""
        request = new_request(landlord, staff, household=household)
        with pytest.raises(ValidationError, match="ce qui a été fait"):
            services.complete_request(request=request, outcome="", by=staff)
        request = services.complete_request(
            request=request, outcome="Joint changé", by=staff, channel=InteractionChannel.HOME_VISIT
        )
        assert request.status == RequestStatus.DONE and request.closed_at is not None
        assert request.outcome == "Joint changé"
        closing = Interaction.objects.get(outcome="demande traitée")
        assert closing.channel == InteractionChannel.HOME_VISIT

    def test_cancel_and_reopen(self, landlord, staff):
        """A cancelled request can be reopened with a reason; it is open again and its closing date cleared."""
        request = services.cancel_request(request=new_request(landlord, staff), by=staff, reason="Doublon")
        assert request.status == RequestStatus.CANCELLED
        with pytest.raises(ValidationError, match="pourquoi"):
            services.reopen_request(request=request, by=staff, reason="")
        request = services.reopen_request(request=request, by=staff, reason="Pas un doublon")
        assert (request.status, request.closed_at) == (RequestStatus.IN_PROGRESS, None)
        assert [e.action for e in request.log.all()] == ["create", "cancel", "reopen"]

    @pytest.mark.parametrize(
        ("service", "kwargs"),
        [
            (services.start_request, {}),
            (services.resume_request, {}),
            (services.complete_request, {"outcome": "Encore"}),
            (services.cancel_request, {}),
        ],
    )
    def test_closed_request_refuses(self, landlord, staff, service, kwargs):
        """A request already handled cannot be started, resumed, completed or cancelled: a clear message."""
        request = services.complete_request(request=new_request(landlord, staff), outcome="Fait", by=staff)
        with pytest.raises(ValidationError, match="est « traitée »"):
            service(request=request, by=staff, **kwargs)
        assert request.log.count() == 2

    def test_assign_is_logged(self, landlord, staff):
        colleague = UserFactory(organisation=landlord, role=Role.FIELD_AGENT, first_name="Théo", last_name="Terrain")
        request = services.assign_request(request=new_request(landlord, staff), assignee=colleague, by=staff)
        assert request.assigned_to == colleague
        event = request.log.last()
        assert (event.action, event.note) == ("assign", "Attribuée à Théo Terrain")
        services.assign_request(request=request, assignee=colleague, by=staff)
        assert request.log.count() == 2  # the same assignee again changes nothing


class TestUpdateRequest:
    def test_linking_a_household_adds_the_request_to_its_history(self, landlord, staff, household):
        """A request made online, linked to its tenant afterwards, appears in the household's history, dated when received."""
        request = services.submit_online_request(
            organisation=landlord, kind=RequestKind.PARCEL, description="", name="Mme Roux", email="roux@example.org"
        )
        assert not Interaction.objects.exists()
        services.update_request(request=request, by=staff, household=household)
        interaction = Interaction.objects.get()
        assert (interaction.channel, interaction.occurred_at) == (InteractionChannel.WEB, request.received_at)

    def test_unknown_field(self, landlord, staff):
        with pytest.raises(ValueError, match="Unexpected"):
            services.update_request(request=new_request(landlord, staff), by=staff, status="done")


class TestOnline:
    def test_online_request_has_no_author(self, landlord):
        request = services.submit_online_request(
            organisation=landlord, kind=RequestKind.TUTORING, description="CM2", name="M. Lenoir", phone="0612345678"
        )
        assert (request.received_via, request.created_by) == (ReceivedVia.ONLINE, None)

    def test_online_requests_closed(self, landlord):
        """A concierge that takes no online requests says how to reach it."""
        ConciergeSettingsFactory(organisation=landlord, accepts_online_requests=False)
        with pytest.raises(ValidationError, match="ne prend pas de demandes en ligne"):
            services.submit_online_request(
                organisation=landlord, kind=RequestKind.BREAD, description="", name="X", phone="0612345678"
            )

    def test_inhabitant_cancels_with_the_code(self, landlord):
        """Cancelling online is logged with no author; a second time changes nothing."""
        request = ConciergeRequestFactory(organisation=landlord)
        request = services.cancel_online_request(request=request)
        assert request.status == RequestStatus.CANCELLED
        assert request.log.get().by is None
        assert services.cancel_online_request(request=request).log.count() == 1

    def test_find_by_code(self, landlord, other_landlord):
        """A code finds the organisation's request or appointment, typed in any case with spaces; not another's."""
        request = ConciergeRequestFactory(organisation=landlord, code="ABC234")
        appointment = OfficeAppointmentFactory(office_hours__organisation=landlord, code="XYZ789")
        assert services.find_by_code(landlord, "abc 234") == request
        assert services.find_by_code(landlord, "xyz-789") == appointment
        assert services.find_by_code(other_landlord, "ABC234") is None
        assert services.find_by_code(landlord, "  ") is None


class TestLoans:
    def test_lend_and_return(self, landlord, staff, household):
        """A loan is due after the item's loan length on a working day; the return frees the item. Both are contacts."""
        item = ItemFactory(organisation=landlord, loan_days=7)
        today = timezone.localdate()
        loan = services.lend_item(item=item, name="M. Petit", household=household, lent_on=today, by=staff)
        assert loan.due_on >= today + dt.timedelta(days=7) and loan.due_on.weekday() < 5
        loan = services.return_item(loan=loan, returned_on=today, note="Complet", by=staff)
        assert (loan.returned_on, loan.returned_to) == (today, staff)
        assert list(Interaction.objects.order_by("pk").values_list("outcome", "theme")) == [
            ("objet prêté", "prêt d'objet"),
            ("objet rendu", "prêt d'objet"),
        ]
        services.lend_item(item=item, name="Mme Roux", phone="0612345678", lent_on=today, by=staff)

    def test_an_item_cannot_be_lent_twice_at_once(self, landlord, staff):
        """The second loan of an item that is out is refused with the date it should come back."""
        loan = LoanFactory(item__organisation=landlord)
        with pytest.raises(ValidationError, match="déjà prêté depuis le .*retour prévu le"):
            services.lend_item(item=loan.item, name="X", phone="0612345678", lent_on=timezone.localdate(), by=staff)
        assert Loan.objects.count() == 1

    def test_the_database_refuses_two_open_loans(self, landlord):
        """Two staff lending at the same moment: the constraint stops the second insert."""
        loan = LoanFactory(item__organisation=landlord)
        with pytest.raises(IntegrityError), transaction.atomic():
            Loan.objects.create(
                organisation=landlord,
                item=loan.item,
                name="X",
                phone="0612345678",
                lent_on=loan.lent_on,
                due_on=loan.due_on,
            )

    def test_race_is_a_clear_message(self, landlord, staff, monkeypatch):
        """If the check passes but the insert fails (a colleague's loan committed meanwhile), the message is the same."""
        loan = LoanFactory(item__organisation=landlord)
        real_filter = Loan.objects.filter
        calls = []

        def first_look_finds_nothing(*args, **kwargs):
            calls.append(1)
            found = real_filter(*args, **kwargs)
            return found.none() if len(calls) == 1 else found

        monkeypatch.setattr(Loan.objects, "filter", first_look_finds_nothing)
        with pytest.raises(ValidationError, match="déjà prêté"):
            services.lend_item(item=loan.item, name="X", phone="0612345678", lent_on=timezone.localdate(), by=staff)

    def test_inactive_item(self, landlord, staff):
        item = ItemFactory(organisation=landlord, is_active=False)
        with pytest.raises(ValidationError, match="n'est plus prêtable"):
            services.lend_item(item=item, name="X", phone="0612345678", lent_on=timezone.localdate(), by=staff)

    def test_return_twice_or_before_lending(self, landlord, staff):
        loan = LoanFactory(item__organisation=landlord)
        with pytest.raises(ValidationError, match="précéder"):
            services.return_item(loan=loan, returned_on=loan.lent_on - dt.timedelta(days=1), by=staff)
        services.return_item(loan=loan, returned_on=timezone.localdate(), by=staff)
        with pytest.raises(ValidationError, match="déjà rendu"):
            services.return_item(loan=loan, returned_on=timezone.localdate(), by=staff)

    def test_toys_are_the_toy_library(self, landlord, staff, household):
        item = ItemFactory(organisation=landlord, kind="toy", name="Jeu de l'oie")
        services.lend_item(item=item, name="X", household=household, lent_on=timezone.localdate(), by=staff)
        assert Interaction.objects.get().theme == "ludothèque"


class TestOfficeHours:
    def test_repeat_weekly(self, landlord):
        """Four weeks of Tuesday office hours in one go."""
        sessions = services.create_office_hours(
            organisation=landlord,
            repeat_weeks=4,
            title="Aide aux démarches",
            place_kind="concierge",
            place="Conciergerie",
            date=in_days(3),
            start=T(9),
            end=T(12),
        )
        assert [s.date for s in sessions] == [in_days(3 + 7 * w) for w in range(4)]

    def test_at_a_bus_stop(self, landlord):
        """Office hours at the bus need the stop; elsewhere, a stop given by mistake is dropped."""
        stop = StopFactory(organisation=landlord, name="Place du Marché")
        values = {"title": "Permanence", "date": in_days(3), "start": T(9), "end": T(10)}
        with pytest.raises(ValidationError, match="arrêt de l'agence mobile"):
            services.create_office_hours(organisation=landlord, place_kind="mobile_agency", **values)
        [session] = services.create_office_hours(
            organisation=landlord, place_kind="mobile_agency", stop=stop, **values
        )
        assert session.where == "Place du Marché"
        [other] = services.create_office_hours(
            organisation=landlord, place_kind="office", stop=stop, place="Agence", **values
        )
        assert other.stop is None

    def test_timing_frozen_once_booked(self, landlord):
        appointment = OfficeAppointmentFactory(office_hours__organisation=landlord)
        with pytest.raises(ValidationError, match="Des rendez-vous sont pris"):
            services.update_office_hours(office_hours=appointment.office_hours, start=T(8))
        session = services.update_office_hours(office_hours=appointment.office_hours, title="Démarches en ligne")
        assert session.title == "Démarches en ligne"


class TestAppointments:
    def test_book_a_free_slot(self, landlord, staff, household):
        """Staff book for a tenant on the phone: the slot is taken, a code given, the booking in the history."""
        session = OfficeHoursFactory(organisation=landlord)
        appointment = services.book_office_appointment(
            office_hours=session, starts_at=T(9, 20), name="M. Petit", household=household, by=staff
        )
        assert (appointment.ends_at, appointment.status) == (T(9, 40), AppointmentStatus.BOOKED)
        assert [s.is_free for s in services.office_slots(session)] == [True, False, True]
        interaction = Interaction.objects.get()
        assert (interaction.channel, interaction.source, interaction.outcome) == (
            "phone",
            "permanence",
            "rendez-vous pris",
        )

    @pytest.mark.parametrize(
        ("starts_at", "message"),
        [(T(9, 10), "aucun créneau"), (T(9), "vient d'être réservé")],
    )
    def test_refused(self, landlord, starts_at, message):
        """Not a slot, or already booked: no double booking."""
        session = OfficeHoursFactory(organisation=landlord)
        OfficeAppointmentFactory(office_hours=session, starts_at=T(9), ends_at=T(9, 20))
        with pytest.raises(ValidationError, match=message):
            services.book_office_appointment(office_hours=session, starts_at=starts_at, name="X")
        assert OfficeAppointment.objects.count() == 1

    def test_past_slot(self, landlord):
        session = OfficeHoursFactory(organisation=landlord, date=in_days(-1))
        with pytest.raises(ValidationError, match="déjà passé"):
            services.book_office_appointment(office_hours=session, starts_at=T(9), name="X")

    def test_not_public_online(self, landlord, staff):
        """A session kept for staff bookings is not open online; staff can still book it."""
        session = OfficeHoursFactory(organisation=landlord, is_public=False)
        with pytest.raises(ValidationError, match="pas ouverte aux rendez-vous en ligne"):
            services.book_office_appointment(office_hours=session, starts_at=T(9), name="X")
        assert services.book_office_appointment(office_hours=session, starts_at=T(9), name="X", by=staff).pk

    def test_the_database_refuses_two_bookings(self, landlord):
        appointment = OfficeAppointmentFactory(office_hours__organisation=landlord)
        with pytest.raises(IntegrityError), transaction.atomic():
            OfficeAppointmentFactory(office_hours=appointment.office_hours, starts_at=appointment.starts_at)

    def test_cancel_frees_the_slot_until_it_begins(self, landlord):
        appointment = OfficeAppointmentFactory(office_hours__organisation=landlord)
        appointment = services.cancel_office_appointment(appointment=appointment)
        assert appointment.status == AppointmentStatus.CANCELLED
        assert all(s.is_free for s in services.office_slots(appointment.office_hours))
        begun = OfficeAppointmentFactory(office_hours__organisation=landlord, office_hours__date=in_days(-1))
        with pytest.raises(ValidationError, match="déjà commencé"):
            services.cancel_office_appointment(appointment=begun)

    def test_attendance(self, landlord, staff, household):
        """A tenant who came has the meeting in their history; correcting to absent removes it."""
        appointment = OfficeAppointmentFactory(
            office_hours__organisation=landlord, office_hours__date=in_days(-1), household=household
        )
        appointment = services.record_appointment_attendance(appointment=appointment, attended=True, by=staff)
        interaction = Interaction.objects.get()
        assert (interaction.channel, interaction.outcome) == (InteractionChannel.OFFICE, "rendez-vous honoré")
        assert appointment.interaction == interaction
        appointment = services.record_appointment_attendance(appointment=appointment, attended=False, by=staff)
        assert appointment.attended is False and not Interaction.objects.exists()

    def test_attendance_not_before_it_begins(self, landlord, staff):
        appointment = OfficeAppointmentFactory(office_hours__organisation=landlord)
        with pytest.raises(ValidationError, match="pas encore commencé"):
            services.record_appointment_attendance(appointment=appointment, attended=True, by=staff)


class TestActivities:
    def test_waiting_list_when_full(self, landlord, staff):
        """Three places: a family of two and one person fit, the next goes on the waiting list."""
        activity = ActivityFactory(organisation=landlord, capacity=3)
        first = services.register(activity=activity, name="Famille Roux", places=2, by=staff)
        second = services.register(activity=activity, name="M. Petit", by=staff)
        third = services.register(activity=activity, name="Mme Blanc", by=staff)
        assert [r.status for r in (first, second, third)] == ["confirmed", "confirmed", "waiting"]

    def test_cancelling_promotes_the_waiting_list(self, landlord, staff):
        """A place freed goes to the first on the waiting list, who is returned to be told."""
        activity = ActivityFactory(organisation=landlord, capacity=1)
        first = services.register(activity=activity, name="M. Petit", by=staff)
        waiting = services.register(activity=activity, name="Mme Blanc", phone="0612345678", by=staff)
        cancelled, promoted = services.cancel_registration(registration=first, by=staff)
        assert cancelled.status == RegistrationStatus.CANCELLED
        assert promoted == [waiting]
        waiting.refresh_from_db()
        assert waiting.status == RegistrationStatus.CONFIRMED

    def test_more_places_promote(self, landlord, staff):
        activity = ActivityFactory(organisation=landlord, capacity=1)
        services.register(activity=activity, name="M. Petit", by=staff)
        services.register(activity=activity, name="Mme Blanc", by=staff)
        _, promoted = services.update_activity(activity=activity, capacity=2)
        assert [r.name for r in promoted] == ["Mme Blanc"]

    def test_household_once(self, landlord, staff, household):
        activity = ActivityFactory(organisation=landlord)
        services.register(activity=activity, name="M. Petit", household=household, by=staff)
        with pytest.raises(ValidationError, match="déjà inscrit"):
            services.register(activity=activity, name="Mme Petit", household=household, by=staff)

    def test_no_registration_once_ended(self, landlord, staff):
        with pytest.raises(ValidationError, match="terminée"):
            services.register(activity=ActivityFactory(organisation=landlord, past=True), name="X", by=staff)

    def test_attendance_writes_the_history_once(self, landlord, staff, household):
        """Present households get one history entry, kept once when the sheet is saved again; unticking removes it."""
        activity = ActivityFactory(organisation=landlord, past=True, kind="sport")
        tenant = RegistrationFactory(activity=activity, household=household)
        other = RegistrationFactory(activity=activity)
        assert services.record_attendance(activity=activity, present=[tenant.pk], by=staff) == (1, 1)
        services.record_attendance(activity=activity, present=[tenant.pk], by=staff)
        interaction = Interaction.objects.get()
        assert (interaction.source, interaction.theme, interaction.occurred_at) == (
            "activité",
            "activité sportive",
            activity.starts_at,
        )
        other.refresh_from_db()
        assert other.attended is False
        services.record_attendance(activity=activity, present=[other.pk], by=staff)
        assert not Interaction.objects.exists()

    def test_attendance_only_of_confirmed_after_start(self, landlord, staff):
        upcoming = ActivityFactory(organisation=landlord)
        with pytest.raises(ValidationError, match="pas encore commencé"):
            services.record_attendance(activity=upcoming, present=[], by=staff)
        past = ActivityFactory(organisation=landlord, past=True)
        waiting = RegistrationFactory(activity=past, status=RegistrationStatus.WAITING)
        with pytest.raises(ValidationError, match="non confirmée"):
            services.record_attendance(activity=past, present=[waiting.pk], by=staff)

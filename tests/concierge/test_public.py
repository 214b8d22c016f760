"""The inhabitants' pages: the request form, booking at office hours, following and cancelling with a code."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from proxima.concierge.enums import ReceivedVia, RequestKind, RequestStatus
from proxima.concierge.models import ConciergeRequest, OfficeAppointment
from proxima.concierge.views import public
from tests.concierge.factories import (
    ActivityFactory,
    ConciergeRequestFactory,
    ConciergeSettingsFactory,
    OfficeAppointmentFactory,
    OfficeHoursFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

T = dt.time
FORM = {
    "kind": RequestKind.LOAN,
    "description": "Une perceuse samedi",
    "name": "Mme Martin",
    "phone": "06 12 34 56 78",
}


def page(name, organisation, *args):
    return reverse(f"concierge_public:{name}", args=[organisation.slug, *args])


@pytest.fixture
def concierge(landlord):
    return ConciergeSettingsFactory(organisation=landlord)


class TestIndex:
    def test_what_is_offered(self, client, landlord, concierge):
        """The page says what can be asked, the next office hours with a booking link, the activities."""
        session = OfficeHoursFactory(organisation=landlord)
        OfficeHoursFactory(organisation=landlord, is_public=False, title="Réservée à l'équipe")
        activity = ActivityFactory(organisation=landlord, capacity=1, title="Atelier tricot")
        RegistrationFactory(activity=activity, name="Personne Privée")
        content = client.get(page("index", landlord)).content.decode()
        assert "Dépôt de pain" in content and "Ludothèque" in content
        assert page("book", landlord, session.pk) in content
        assert "Réservée à l" not in content
        assert "Atelier tricot" in content and "complet : liste d&#x27;attente" not in content
        assert "complet : liste d'attente" in content
        assert "Personne Privée" not in content
        assert concierge.phone in content

    def test_unknown_organisation(self, client):
        assert client.get(reverse("concierge_public:index", args=["inconnu"])).status_code == 404


class TestRequestForm:
    def test_send_then_code(self, client, landlord, concierge):
        """The request is recorded as received online, with nobody as author; the next page gives its code."""
        response = client.post(page("request", landlord), FORM)
        assert response.status_code == 302
        request = ConciergeRequest.objects.get()
        assert (request.received_via, request.created_by, request.household) == (ReceivedVia.ONLINE, None, None)
        confirmation = client.get(response.url).content.decode()
        assert request.code in confirmation
        assert f"{page('follow', landlord)}?code={request.code}" in confirmation

    def test_confirmation_only_for_this_session(self, client, landlord, concierge):
        client.post(page("request", landlord), FORM)
        assert Client().get(page("requested", landlord)).status_code == 302

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"phone": ""}, "Indiquez un téléphone ou une adresse e-mail"),
            ({"phone": "06 12"}, "ne semble pas complet"),
            ({"phone": "", "email": "martin@"}, "adresse e-mail n&#x27;est pas complète"),
            ({"name": "  "}, "Indiquez votre nom."),
            ({"kind": ""}, "Choisissez ce que vous demandez."),
        ],
    )
    def test_mistakes_are_explained(self, client, landlord, concierge, data, message):
        """Each mistake is listed at the top, linked to its field, and nothing is recorded."""
        response = client.post(page("request", landlord), {**FORM, **data})
        assert response.status_code == 422
        content = response.content.decode()
        assert message in content and "error-summary" in content
        assert not ConciergeRequest.objects.exists()

    def test_no_javascript(self, client, landlord, concierge):
        assert "<script" not in client.get(page("request", landlord)).content.decode()

    def test_rate_limited(self, client, landlord, concierge):
        """A script cannot flood the concierge: after five requests in a session, a clear 429."""
        for _ in range(public.REQUEST_THROTTLE.per_session):
            assert client.post(page("request", landlord), FORM).status_code == 302
        response = client.post(page("request", landlord), FORM)
        assert response.status_code == 429
        assert "patientez un quart d&#x27;heure" in response.content.decode()
        assert ConciergeRequest.objects.count() == public.REQUEST_THROTTLE.per_session

    def test_online_requests_closed(self, client, landlord):
        ConciergeSettingsFactory(organisation=landlord, accepts_online_requests=False)
        response = client.get(page("request", landlord))
        assert "ne prend pas de demandes en ligne" in response.content.decode()
        assert client.post(page("request", landlord), FORM).status_code == 409


class TestFollow:
    def test_status_without_personal_data(self, client, landlord, concierge):
        """The code shows the request's kind and status in plain words, never the name or phone given."""
        request = ConciergeRequestFactory(organisation=landlord, name="Jeanne Secret", phone="0699999999")
        response = client.post(page("follow", landlord), {"code": request.code.lower()})
        content = response.content.decode()
        assert "Reçue : la conciergerie va s" in content
        assert "Jeanne Secret" not in content and "0699999999" not in content

    def test_done_shows_what_was_done(self, client, landlord, concierge):
        request = ConciergeRequestFactory(organisation=landlord, done=True, outcome="Perceuse prêtée")
        content = client.post(page("follow", landlord), {"code": request.code}).content.decode()
        assert "Perceuse prêtée" in content and "Annuler ma demande" not in content

    def test_cancel(self, client, landlord, concierge):
        request = ConciergeRequestFactory(organisation=landlord)
        response = client.post(page("follow", landlord), {"code": request.code, "confirm": "1"})
        assert "Votre demande est annulée" in response.content.decode()
        request.refresh_from_db()
        assert request.status == RequestStatus.CANCELLED
        assert request.log.get().by is None

    def test_cancel_an_appointment(self, client, landlord, concierge):
        appointment = OfficeAppointmentFactory(office_hours__organisation=landlord)
        client.post(page("follow", landlord), {"code": appointment.code, "confirm": "1"})
        appointment.refresh_from_db()
        assert appointment.status == "cancelled"

    def test_another_landlords_code(self, client, landlord, other_landlord, concierge):
        request = ConciergeRequestFactory(organisation=other_landlord)
        response = client.post(page("follow", landlord), {"code": request.code})
        assert response.status_code == 422
        assert "Ce code ne correspond à aucune demande" in response.content.decode()

    def test_guessing_is_limited(self, client, landlord, concierge):
        """Five wrong codes in a session, then even a right one waits: codes cannot be guessed."""
        request = ConciergeRequestFactory(organisation=landlord)
        for _ in range(public.CODE_THROTTLE.per_session):
            assert client.post(page("follow", landlord), {"code": "AAAAAA"}).status_code == 422
        response = client.post(page("follow", landlord), {"code": request.code})
        assert response.status_code == 429


class TestBooking:
    def test_book_then_code(self, client, landlord, concierge):
        session = OfficeHoursFactory(organisation=landlord)
        response = client.post(
            page("book", landlord, session.pk), {"slot": "09:40", "name": "Mme Martin", "topic": "retraite"}
        )
        assert response.status_code == 302
        appointment = OfficeAppointment.objects.get()
        assert (appointment.starts_at, appointment.booked_by, appointment.household) == (T(9, 40), None, None)
        assert appointment.code in client.get(response.url).content.decode()

    def test_free_slots_only(self, client, landlord, concierge):
        session = OfficeHoursFactory(organisation=landlord)
        OfficeAppointmentFactory(office_hours=session, starts_at=T(9, 20), ends_at=T(9, 40))
        content = client.get(page("book", landlord, session.pk)).content.decode()
        assert 'value="09:00"' in content and 'value="09:20"' not in content
        response = client.post(page("book", landlord, session.pk), {"slot": "09:20", "name": "X"})
        assert response.status_code == 422
        assert "plus libre" in response.content.decode()

    @pytest.mark.parametrize("kwargs", [{"is_public": False}, {"date": dt.date(2020, 1, 6)}])
    def test_private_or_past_sessions_are_404(self, client, landlord, concierge, kwargs):
        session = OfficeHoursFactory(organisation=landlord, **kwargs)
        assert client.get(page("book", landlord, session.pk)).status_code == 404

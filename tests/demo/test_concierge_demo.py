"""The demo's concierge: requests through every status, loans out and overdue, office hours, a full workshop."""

import datetime as dt

import pytest

from proxima.concierge.enums import RegistrationStatus, RequestStatus
from proxima.concierge.models import Activity, ConciergeRequest, Item, Loan, OfficeAppointment, OfficeHours
from proxima.demo.agency import next_tuesday
from proxima.demo.concierge import build_concierge_demo
from proxima.demo.services import build_demo
from proxima.households.models import Interaction

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=300, sites=15, today=TODAY, agency=False)


def snapshot(organisation):
    requests = ConciergeRequest.objects.for_organisation(organisation)
    return {
        # Codes are drawn at random (they stand for a password): everything else comes from the seed.
        "requests": sorted(requests.values_list("kind", "status", "received_at", "name", "household__reference")),
        "loans": sorted(Loan.objects.values_list("item__reference", "name", "lent_on", "due_on", "returned_on")),
        "interactions": Interaction.objects.filter(source__in=["conciergerie", "permanence", "activité"]).count(),
    }


class TestConciergeDemo:
    def test_requests_in_every_state_with_their_log(self, demo):
        """Sixty requests: new, in progress, on hold, handled and cancelled, each with its log."""
        requests = ConciergeRequest.objects.for_organisation(demo.organisation)
        assert demo.concierge.requests == requests.count() == 60
        statuses = set(requests.values_list("status", flat=True))
        assert {RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.DONE} <= statuses
        assert not requests.filter(log__isnull=True).exists()
        assert requests.filter(household__isnull=True).exists() and requests.filter(household__isnull=False).exists()

    def test_loans_out_and_returned(self, demo):
        """Eleven items; six loans returned, three out (one overdue)."""
        assert Item.objects.for_organisation(demo.organisation).count() == 11
        loans = Loan.objects.for_organisation(demo.organisation)
        assert loans.filter(returned_on__isnull=False).count() == 6
        assert loans.out().count() == 3
        assert loans.overdue(dt.date.today()).exists()

    def test_office_hours_to_come_with_bookings(self, demo):
        sessions = OfficeHours.objects.for_organisation(demo.organisation)
        assert sessions.count() == 4  # no bus without the agency: the concierge's weekly office hours only
        assert all(s.date > dt.date.today() for s in sessions)
        assert OfficeAppointment.objects.for_organisation(demo.organisation).count() == 6

    def test_activities_with_registrations_and_attendance(self, demo):
        """A past outing with eight present, and a coming workshop full with a waiting list."""
        outing, workshop = Activity.objects.for_organisation(demo.organisation).order_by("starts_at")
        assert outing.registrations.filter(attended=True).count() == 8
        assert workshop.registrations.filter(status=RegistrationStatus.WAITING).exists()

    def test_contacts_in_the_histories(self, demo):
        """Tenants' requests, loans, bookings and attendance are in their households' histories."""
        sources = set(Interaction.objects.values_list("source", flat=True))
        assert {"conciergerie", "permanence", "activité"} <= sources

    def test_built_once(self, demo):
        """Rebuilding the demo changes nothing."""
        before = snapshot(demo.organisation)
        again = build_demo(dwellings=300, sites=15, today=TODAY, agency=False)
        assert snapshot(again.organisation) == before

    def test_deterministic(self, demo):
        """Built again from scratch with the same seed and dates, the concierge holds the same data."""
        organisation = demo.organisation
        before = snapshot(organisation)
        Interaction.objects.filter(source__in=["conciergerie", "permanence", "activité"]).delete()
        for model in (ConciergeRequest, Loan, Item, OfficeHours, Activity):
            model.objects.for_organisation(organisation).delete()
        build_concierge_demo(organisation, today=dt.date.today(), start=next_tuesday(dt.date.today()), seed=0)
        assert snapshot(organisation) == before

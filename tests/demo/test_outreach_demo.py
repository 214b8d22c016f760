"""The demo's elderly outreach programme: 20 people followed, six weeks of contacts, one escalation."""

import datetime as dt

import pytest
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.accounts.models import User
from proxima.demo.outreach import PROGRAMME_NAME, VOLUNTEER_EMAIL
from proxima.demo.services import build_demo
from proxima.outreach.enums import AlertLevel, AlertStatus
from proxima.outreach.models import Alert, Contact, ContactPlan, Enrolment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=600, sites=15, today=TODAY, agency=False, outreach_today=timezone.localdate())


class TestOutreachDemo:
    def test_twenty_people_with_plans(self, demo):
        """20 elderly people living alone, each with a weekly call and a monthly visit, all assigned."""
        programme = demo.outreach.programme
        assert programme.name == PROGRAMME_NAME and programme.partner.slug == "demo-lien-seniors"
        enrolments = Enrolment.objects.filter(programme=programme)
        assert enrolments.count() == demo.outreach.enrolled == 20
        assert ContactPlan.objects.current().filter(enrolment__programme=programme).count() == 40
        assert not ContactPlan.objects.current().filter(assignee=None).exists()

    def test_volunteer_login_and_their_people(self, demo):
        """The association's volunteer has a demo login and people to call, all of whom agreed."""
        volunteer = User.objects.get(email=VOLUNTEER_EMAIL)
        assert volunteer.role == Role.PARTNER and volunteer.organisation.slug == "demo-lien-seniors"
        assert (VOLUNTEER_EMAIL, Role.PARTNER.label, volunteer.organisation.name) in demo.logins
        assert Enrolment.objects.assigned_to(volunteer).count() >= 5

    def test_history_with_failures_and_one_escalation(self, demo):
        """Six weeks of contacts, some failed, and one person escalated to the referent then the partner."""
        contacts = Contact.objects.filter(enrolment__programme=demo.outreach.programme)
        assert contacts.count() == demo.outreach.contacts > 100
        assert contacts.filter(success=False).exists()
        alerts = Alert.objects.filter(enrolment__programme=demo.outreach.programme)
        assert {a.level for a in alerts} == {AlertLevel.REFERENT, AlertLevel.PARTNER}
        assert len({a.enrolment_id for a in alerts}) == 1
        assert all(a.status == AlertStatus.OPEN for a in alerts)

    def test_rebuilding_changes_nothing(self, demo):
        """A second build finds the programme and adds nothing."""
        counts = (Enrolment.objects.count(), Contact.objects.count(), Alert.objects.count())
        again = build_demo(dwellings=600, sites=15, today=TODAY, agency=False, outreach_today=timezone.localdate())
        assert again.outreach.programme.pk == demo.outreach.programme.pk
        assert (Enrolment.objects.count(), Contact.objects.count(), Alert.objects.count()) == counts

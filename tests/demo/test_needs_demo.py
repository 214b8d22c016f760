"""The demo's needs survey: open, answered on every channel through the real services, rebuilt identically."""

import datetime as dt

import pytest

from proxima.demo.needs import SURVEY_TITLE, build_needs_demo
from proxima.demo.services import build_demo
from proxima.households.models import Interaction
from proxima.needs.enums import SurveyStatus
from proxima.needs.models import Invitation, OutreachSettings, Response, Survey

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=400, sites=12, today=TODAY, agency=False)


class TestNeedsDemo:
    def test_open_survey_answered_on_several_channels(self, demo):
        """The bank survey is open, every household has a code, about a third answered, through several channels."""
        survey = Survey.objects.get(organisation=demo.organisation, title=SURVEY_TITLE)
        assert survey.status == SurveyStatus.OPEN
        households = demo.organisation.households.count()
        assert Invitation.objects.filter(survey=survey).count() == households
        responses = Response.objects.filter(survey=survey)
        assert 0.15 * households < responses.count() < 0.5 * households
        assert len(set(responses.values_list("channel", flat=True))) >= 4
        assert demo.needs.responses_rejected == 0
        assert OutreachSettings.objects.get(organisation=demo.organisation).survey == survey

    def test_field_agent_covers_some_sites(self, demo):
        """The demo's field agent has sites, so their outreach list and household list are not empty."""
        agent = demo.organisation.users.get(role="field_agent")
        assert 0 < agent.assigned_sites.count() < 12

    def test_rebuilding_changes_nothing(self, demo):
        """Running the demo again finds the survey and its answers instead of adding new ones."""
        before = (Response.objects.count(), Invitation.objects.count(), Interaction.objects.count())
        result = build_needs_demo(demo.organisation, today=TODAY)
        assert (result.responses_created, result.invitations_created) == (0, 0)
        assert (Response.objects.count(), Invitation.objects.count(), Interaction.objects.count()) == before

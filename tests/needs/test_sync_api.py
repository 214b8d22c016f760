"""The tablets' API: surveys and households downloaded, queued responses synced without duplicates."""

import datetime as dt
import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.accounts.services import create_api_token
from proxima.needs.enums import Channel
from proxima.needs.models import Response
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.needs.factories import small_survey
from tests.territory.factories import DwellingFactory, SiteFactory

RESPONSES = "/api/needs/responses"


def body(survey, household, **changes):
    data = {
        "survey": survey.pk,
        "household": household.pk,
        "channel": Channel.OFFLINE,
        "answers": {"seul": "oui", "visites": "rarement", "aides": ["papiers"]},
        "client_id": str(uuid.uuid4()),
        "collected_on": "2026-01-05",
    }
    return {**data, **changes}


def post(client, data):
    return client.post(RESPONSES, json.dumps(data), content_type="application/json")


@pytest.mark.django_db
class TestSyncResponses:
    def test_double_post_creates_one_response(self, client, agent, survey, household):
        """The same client id twice (a retry after a lost answer): 201, then 200 with the same response."""
        client.force_login(agent)
        data = body(survey, household)
        first = post(client, data)
        second = post(client, data)
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["id"] == second.json()["id"]
        assert first.json()["created"] is True and second.json()["created"] is False
        assert first.json()["needs"] == ["isolation", "paperwork_help"]
        response = Response.objects.get()
        assert (response.channel, response.recorded_by, response.collected_on) == (
            "offline",
            agent,
            dt.date(2026, 1, 5),
        )

    def test_second_client_id_for_one_household_is_rejected(self, client, agent, survey, household):
        """Two tablets that both answered for one household: the second is refused, saying why."""
        client.force_login(agent)
        assert post(client, body(survey, household)).status_code == 201
        refused = post(client, body(survey, household, channel=Channel.HOME_VISIT))
        assert refused.status_code == 422
        assert refused.json()["errors"]["__all__"][0].startswith("Ce ménage a déjà répondu le 05/01/2026")
        assert Response.objects.count() == 1

    def test_errors_per_question(self, client, agent, survey, household):
        """Invalid answers come back under their question, and nothing is recorded."""
        client.force_login(agent)
        refused = post(client, body(survey, household, answers={"seul": "oui", "age": "200"}))
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"age": ["Un âge entre 18 et 120 ans."]}
        assert not Response.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "where"),
        [
            ({"client_id": "pas-un-uuid"}, "client_id"),
            ({"collected_on": "hier"}, "collected_on"),
            ({"household": None}, "household"),
        ],
    )
    def test_malformed_body(self, client, agent, survey, household, changes, where):
        """A malformed field is named in the 422."""
        client.force_login(agent)
        refused = post(client, {**body(survey, household), **changes})
        assert refused.status_code == 422
        assert where in refused.json()["errors"]

    def test_web_channel_is_not_for_tablets(self, client, agent, survey, household):
        """A tablet declares offline or an assisted channel, never « web » or « paper »."""
        client.force_login(agent)
        refused = post(client, body(survey, household, channel=Channel.WEB))
        assert refused.status_code == 422
        assert not Response.objects.exists()

    def test_field_agent_cannot_post_for_another_site(self, client, agent, survey, landlord):
        """A household of a site not entrusted to the agent does not exist for them: 404."""
        elsewhere = HouseholdFactory(dwelling=DwellingFactory(building__site=SiteFactory(organisation=landlord)))
        survey.sites.add(elsewhere.dwelling.building.site)
        client.force_login(agent)
        assert post(client, body(survey, elsewhere)).status_code == 404
        assert not Response.objects.exists()

    @pytest.mark.parametrize("role", [Role.PARTNER, Role.READ_ONLY])
    def test_partner_and_read_only_are_refused(self, client, survey, household, landlord, role):
        """Partners and read-only users never send or see answers: 403."""
        org = OrganisationFactory(partner=True) if role == Role.PARTNER else landlord
        client.force_login(UserFactory(organisation=org, role=role))
        assert post(client, body(survey, household)).status_code == 403
        assert client.get(reverse("api:needs_surveys")).status_code == 403
        assert not Response.objects.exists()

    def test_session_post_needs_the_csrf_token(self, agent, survey, household):
        """From the browser, the session is not enough: the page's CSRF token must come in the header."""
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        page = client.get(reverse("needs:offline"))
        token = page.context["csrf_token"]
        data = json.dumps(body(survey, household))
        assert client.post(RESPONSES, data, content_type="application/json").status_code == 403
        accepted = client.post(RESPONSES, data, content_type="application/json", HTTP_X_CSRFTOKEN=str(token))
        assert accepted.status_code == 201

    def test_bearer_token_needs_no_csrf(self, agent, survey, household):
        """A machine client with a token sends no cookie, so no CSRF token either."""
        _, key = create_api_token(user=agent, name="tablette")
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            RESPONSES,
            json.dumps(body(survey, household)),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 201


@pytest.mark.django_db
class TestDownloads:
    def test_surveys_with_questions_and_condition_trees(self, client, agent, survey):
        """Open surveys come with their sections, questions, choices and parsed conditions."""
        small_survey(survey.organisation, status="draft")
        client.force_login(agent)
        surveys = client.get(reverse("api:needs_surveys")).json()
        assert [s["id"] for s in surveys] == [survey.pk]
        first, second = surveys[0]["sections"]
        assert [q["name"] for q in first["questions"]] == ["seul", "visites"]
        visites = first["questions"][1]
        assert visites["relevant_tree"] == ["cmp", "=", ["ref", "seul"], ["text", "oui"]]
        assert visites["condition_text"] == "vous avez répondu « Oui » à la question « Vivez-vous seul(e) ? »"
        assert [c["value"] for c in visites["choices"]] == ["souvent", "rarement", "jamais"]
        assert second["questions"][1]["rule_text"] == "Un âge entre 18 et 120 ans."

    def test_households_minimal_and_scoped(self, client, agent, survey, household, landlord):
        """An agent gets only their sites' targeted households, with a first name and an initial; it is audited."""
        HouseholdFactory(dwelling=DwellingFactory(building__site=SiteFactory(organisation=landlord)))
        client.force_login(agent)
        page = client.get(reverse("api:needs_households"), {"survey": survey.pk}).json()
        assert page["count"] == 1
        assert page["items"][0] == {
            "id": household.pk,
            "reference": household.reference,
            "site": "Les Tilleuls",
            "address": f"12 rue des Tilleuls, logement {household.dwelling.reference}",
            "name": "Jeanne D.",
            "answered": False,
        }
        event = AuditEvent.objects.get(action=AuditAction.LIST)
        assert event.details["ids"] == [household.pk]

    def test_households_say_who_answered(self, client, agent, survey, household):
        """A household that answered by another channel is flagged, so the tablet does not offer it."""
        client.force_login(agent)
        post(client, body(survey, household))
        page = client.get(reverse("api:needs_households"), {"survey": survey.pk}).json()
        assert page["items"][0]["answered"] is True

    def test_households_of_another_landlords_survey(self, client, agent, other_landlord):
        """Another landlord's survey is a 404."""
        theirs = small_survey(other_landlord)
        client.force_login(agent)
        assert client.get(reverse("api:needs_households"), {"survey": theirs.pk}).status_code == 404


@pytest.mark.django_db
def test_household_download_query_count_does_not_grow(client, agent, survey, site):
    """Downloading 2 or 6 households costs the same number of queries (no query per household)."""

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("api:needs_households"), {"survey": survey.pk}).status_code == 200
        return len(captured)

    client.force_login(agent)
    for _ in range(2):
        PersonFactory(household__dwelling=DwellingFactory(building__site=site, organisation=site.organisation))
    few = queries()
    for _ in range(4):
        PersonFactory(household__dwelling=DwellingFactory(building__site=site, organisation=site.organisation))
    assert queries() == few

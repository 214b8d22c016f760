"""Assisted entry, the offline tablet page and its service worker, and the links and QR codes per site."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.needs.models import Response
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.needs.factories import ResponseFactory, small_survey
from tests.territory.factories import DwellingFactory, SiteFactory


@pytest.fixture
def household(site):
    person = PersonFactory(
        household__dwelling=DwellingFactory(building__site=site, organisation=site.organisation),
        first_name="Jeanne",
        last_name="Durand",
        phone="0254123456",
    )
    return person.household


def entry_url(survey, household):
    return reverse("needs:collect_entry", kwargs={"survey_pk": survey.pk, "household_pk": household.pk})


def entry_data(page, **answers):
    """The form as a member of staff submits it: the hidden client id of the page, and the answers."""
    client_id = re.search(rb'name="client_id" value="([0-9a-f-]+)"', page.content).group(1).decode()
    data = {"channel": "phone", "collected_on": timezone.localdate().isoformat(), "client_id": client_id}
    data.update({f"q-{name}": value for name, value in answers.items()})
    return data


@pytest.mark.django_db
class TestAssistedEntry:
    def test_page_shows_the_household_and_is_audited(self, client, staff, survey, household):
        """The entry page names the lease holder (to speak to them) and the reading is audited."""
        client.force_login(staff)
        page = client.get(entry_url(survey, household))
        assert page.status_code == 200
        assert "Jeanne Durand" in page.content.decode()
        event = AuditEvent.objects.get(action=AuditAction.READ)
        assert event.target_id == str(household.pk)

    def test_all_sections_on_one_page_with_conditions_in_words(self, client, staff, survey, household):
        """Every question is on the page; a conditional one says when to ask it."""
        client.force_login(staff)
        content = client.get(entry_url(survey, household)).content.decode()
        for name in ("seul", "visites", "aides", "age", "remarque"):
            assert f'name="q-{name}"' in content
        assert "À remplir seulement si vous avez répondu « Oui » à la question « Vivez-vous seul(e) ? »." in content

    def test_submit_records_the_response(self, client, staff, survey, household):
        """Valid answers are recorded with the chosen channel, and the page goes back to the household search."""
        client.force_login(staff)
        page = client.get(entry_url(survey, household))
        data = entry_data(page, seul="oui", visites="jamais", aides=["papiers", "numerique"], age="80")
        data["channel"] = "home_visit"
        answered = client.post(entry_url(survey, household), data)
        assert answered.status_code == 302
        assert answered.url == f"{reverse('needs:collect_start')}?survey={survey.pk}"
        response = Response.objects.get()
        assert (response.channel, response.recorded_by, response.household) == ("home_visit", staff, household)
        assert dict(response.answers.values_list("question__name", "value"))["aides"] == "papiers numerique"

    def test_double_submit_records_once(self, client, staff, survey, household):
        """Submitting the same page twice (double click) records one response."""
        client.force_login(staff)
        data = entry_data(client.get(entry_url(survey, household)), seul="non")
        client.post(entry_url(survey, household), data)
        again = client.post(entry_url(survey, household), data, follow=True)
        assert "étaient déjà enregistrées" in again.content.decode()
        assert Response.objects.count() == 1

    def test_errors_next_to_each_question_and_nothing_saved(self, client, staff, survey, household):
        """A missing required answer and a broken rule are shown by their question; nothing is recorded."""
        client.force_login(staff)
        data = entry_data(client.get(entry_url(survey, household)), age="12")
        page = client.post(entry_url(survey, household), data)
        assert page.status_code == 200
        content = page.content.decode()
        assert 'id="id_q-seul_erreur"' in content and "Cette question demande une réponse." in content
        assert 'id="id_q-age_erreur"' in content and "Un âge entre 18 et 120 ans." in content
        assert 'aria-describedby="id_q-age_aide id_q-age_erreur"' in content
        assert '<a href="#id_q-seul_0">' in content  # the summary leads to the first choice
        assert content.count('name="client_id" value="' + data["client_id"]) == 1  # the same id is kept
        assert not Response.objects.exists()

    def test_future_date_is_refused(self, client, staff, survey, household):
        """Answers are entered for today or an earlier day."""
        client.force_login(staff)
        data = entry_data(client.get(entry_url(survey, household)), seul="non")
        data["collected_on"] = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
        page = client.post(entry_url(survey, household), data)
        assert "La date ne peut pas être dans le futur." in page.content.decode()
        assert not Response.objects.exists()

    def test_household_that_answered_shows_no_form(self, client, staff, survey, household):
        """One response per household: the page says when it answered instead of a form."""
        ResponseFactory(survey=survey, household=household, collected_on=dt.date(2026, 1, 5))
        client.force_login(staff)
        content = client.get(entry_url(survey, household)).content.decode()
        assert "Ce ménage a déjà répondu le 05/01/2026" in content
        assert 'name="q-seul"' not in content

    def test_field_agent_sees_only_their_sites(self, client, landlord, survey, household):
        """A field agent of another site gets a 404 for this household."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        SiteFactory(organisation=landlord).agents.add(agent)
        client.force_login(agent)
        assert client.get(entry_url(survey, household)).status_code == 404

    def test_household_not_targeted_is_404(self, client, staff, survey, landlord):
        """A household outside the survey's sites cannot be entered for it."""
        elsewhere = HouseholdFactory(dwelling=DwellingFactory(building__site=SiteFactory(organisation=landlord)))
        client.force_login(staff)
        assert client.get(entry_url(survey, elsewhere)).status_code == 404


@pytest.mark.django_db
class TestCollectStart:
    def test_search_by_lease_reference(self, client, staff, survey, household, site):
        """The search lists the targeted households matching the reference, without names, and says who answered."""
        other = HouseholdFactory(dwelling=DwellingFactory(building__site=site, organisation=site.organisation))
        ResponseFactory(survey=survey, household=other)
        client.force_login(staff)
        content = client.get(reverse("needs:collect_start"), {"survey": survey.pk}).content.decode()
        assert household.reference in content and other.reference in content
        assert entry_url(survey, household) in content
        assert entry_url(survey, other) not in content  # it answered already
        assert "Durand" not in content
        filtered = client.get(reverse("needs:collect_start"), {"survey": survey.pk, "q": household.reference[-3:]})
        assert other.reference not in filtered.content.decode()

    def test_only_open_surveys_are_offered(self, client, staff, survey, landlord):
        """A closed survey is not in the choice; a survey of another landlord neither."""
        closed = small_survey(landlord, status="closed")
        client.force_login(staff)
        page = client.get(reverse("needs:collect_start"), {"survey": closed.pk})
        assert page.context["page"] is None
        assert "Sélectionnez un choix valide" in page.content.decode()


@pytest.mark.django_db
class TestSurveyLinks:
    def test_one_link_and_qr_code_per_site(self, client, staff, survey, site):
        """Each targeted site has its public link and an SVG QR code pointing to it."""
        client.force_login(staff)
        content = client.get(reverse("needs:survey_links", kwargs={"pk": survey.pk})).content.decode()
        url = f"http://testserver/repondre/{survey.public_token}/{site.pk}/"
        assert url in content
        assert content.count("<svg") == 1
        assert "QR code : Les Tilleuls" in content

    def test_field_agent_cannot_print_links(self, client, landlord, survey):
        """Printing letters and posters is for admins and the proximity team."""
        client.force_login(UserFactory(organisation=landlord, role=Role.FIELD_AGENT))
        assert client.get(reverse("needs:survey_links", kwargs={"pk": survey.pk})).status_code == 403


@pytest.mark.django_db
class TestOfflinePage:
    def test_page_carries_csrf_token_and_worker(self, client, staff):
        """The tablet page holds its CSRF token for the sync and registers its service worker."""
        client.force_login(staff)
        content = client.get(reverse("needs:offline")).content.decode()
        assert '<meta name="csrf-token" content="' in content
        assert 'data-worker="/besoins/terrain/sw.js"' in content
        assert 'data-scope="/besoins/terrain/"' in content
        assert 'data-api="/api/needs"' in content

    def test_service_worker_scope_and_precache(self, client):
        """The worker may control /besoins/terrain/ and keeps the page and its files."""
        response = client.get(reverse("needs:offline_worker"))
        assert response["Content-Type"].startswith("application/javascript")
        assert response["Service-Worker-Allowed"] == "/besoins/terrain/"
        source = response.content.decode()
        assert 'const PRECACHE = ["/besoins/terrain/", "/static/proxima/proxima.css"' in source
        assert "/static/needs/offline.js" in source
        assert re.search(r'const VERSION = "[0-9a-f]{12}";', source)


@pytest.mark.django_db
def test_household_search_query_count_does_not_grow(client, staff, survey, site):
    """The search page costs the same number of queries for 2 or 6 households (no query per row)."""

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("needs:collect_start"), {"survey": survey.pk}).status_code == 200
        return len(captured)

    client.force_login(staff)
    for _ in range(2):
        HouseholdFactory(dwelling=DwellingFactory(building__site=site, organisation=site.organisation))
    few = queries()
    for _ in range(4):
        HouseholdFactory(dwelling=DwellingFactory(building__site=site, organisation=site.organisation))
    assert queries() == few

"""Residents' pages: the code of the letter, one section per page, review, sent once; guessing codes is limited."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from proxima.needs.enums import QuestionKind, SurveyStatus
from proxima.needs.models import Invitation, Response
from proxima.needs.views import respond
from tests.households.factories import PersonFactory
from tests.needs.factories import (
    ChoiceFactory,
    InvitationFactory,
    QuestionFactory,
    ResponseFactory,
    SectionFactory,
    small_survey,
)
from tests.territory.factories import DwellingFactory, SiteFactory

START = "/repondre/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def household(site):
    person = PersonFactory(
        household__dwelling=DwellingFactory(building__site=site, organisation=site.organisation),
        first_name="Jeanne",
        last_name="Durandmarqueur",
    )
    return person.household


@pytest.fixture
def survey(landlord, site):
    survey = small_survey(landlord, sites=[site])
    survey.description = "Quelques questions sur votre quotidien."
    survey.save()
    # A third part asked only of people living alone.
    third = SectionFactory(version=survey.current_version, position=3, name="voisins", title="Vos voisins")
    question = QuestionFactory(
        section=third, position=6, name="voisin", kind=QuestionKind.YES_NO, label="Voyez-vous vos voisins ?"
    )
    third.relevant = "${seul} = 'oui'"
    third.save()
    ChoiceFactory(question=question, position=1, value="oui", label="Oui")
    ChoiceFactory(question=question, position=2, value="non", label="Non")
    return survey


@pytest.fixture
def invitation(survey, household):
    return InvitationFactory(survey=survey, household=household, code="ABCD2345")


def section_url(step):
    return reverse("respond:section", kwargs={"step": step})


def enter(client, code="abcd 2345"):
    return client.post(START, {"code": code})


@pytest.mark.django_db
class TestCode:
    def test_the_letters_qr_code_fills_in_the_code(self, client):
        """The QR code on a letter opens the code page with the household's code already typed."""
        content = client.get(START, {"code": "ABCD2345"}).content.decode()
        assert 'value="ABCD2345"' in content

    def test_code_is_case_and_space_insensitive(self, client, invitation):
        """« abcd 2345 » opens the survey of the letter coded ABCD2345."""
        response = enter(client)
        assert response.status_code == 302
        assert response.url == section_url(1)

    @pytest.mark.parametrize(
        ("setup", "message"),
        [
            (lambda inv: None, None),
            (lambda inv: Invitation.objects.filter(pk=inv.pk).delete(), respond.UNKNOWN_CODE),
            (lambda inv: ResponseFactory(survey=inv.survey, household=inv.household), respond.USED_CODE),
            (
                lambda inv: type(inv.survey).objects.filter(pk=inv.survey_id).update(status=SurveyStatus.CLOSED),
                respond.CLOSED,
            ),
            (
                lambda inv: type(inv.survey).objects.filter(pk=inv.survey_id).update(status=SurveyStatus.DRAFT),
                respond.UNKNOWN_CODE,
            ),
        ],
    )
    def test_code_problems(self, client, invitation, setup, message):
        """A wrong code, a used code and a closed survey each say so, and nothing about the household."""
        setup(invitation)
        response = enter(client)
        if message is None:
            assert response.status_code == 302
            return
        content = response.content.decode()
        assert response.status_code == 200
        assert message.replace("'", "&#x27;") in content
        assert invitation.household.reference not in content and "Durandmarqueur" not in content

    def test_guessing_is_limited_per_session(self, client, invitation):
        """After 5 wrong codes in one session, even the right code is refused for a while (429)."""
        for _ in range(respond.ATTEMPTS_PER_SESSION):
            assert enter(client, "ZZZZ9999").status_code == 200
        blocked = enter(client)
        assert blocked.status_code == 429
        assert "Trop d&#x27;essais de code" in blocked.content.decode()

    def test_guessing_is_limited_per_address(self, client, invitation):
        """New sessions do not help: one address gets 30 wrong codes, then waits."""
        for _ in range(respond.ATTEMPTS_PER_ADDRESS):
            assert Client().post(START, {"code": "ZZZZ9999"}).status_code == 200
        assert Client().post(START, {"code": "ABCD2345"}).status_code == 429
        assert Client(REMOTE_ADDR="10.0.0.9").post(START, {"code": "ABCD2345"}).status_code == 302

    def test_empty_code(self, client):
        """An empty code asks for it, linked to the field."""
        content = enter(client, "").content.decode()
        assert "Saisissez le code indiqué sur votre courrier." in content
        assert 'aria-describedby="id_code_helptext id_code_erreur"' in content


@pytest.mark.django_db
class TestSitePage:
    def test_presentation_and_code(self, client, survey, site, invitation):
        """The QR code's page presents the survey and takes the code."""
        url = reverse("respond:site", kwargs={"token": survey.public_token, "site_pk": site.pk})
        content = client.get(url).content.decode()
        assert "Vos besoins au quotidien" in content and "Quelques questions sur votre quotidien." in content
        assert client.post(url, {"code": "ABCD2345"}).url == section_url(1)

    def test_site_not_targeted_or_draft_is_404(self, client, survey, landlord, site):
        """A site the survey is not for, or a survey still in preparation, has no page."""
        other = SiteFactory(organisation=landlord)
        assert (
            client.get(reverse("respond:site", kwargs={"token": survey.public_token, "site_pk": other.pk})).status_code
            == 404
        )
        survey.status = SurveyStatus.DRAFT
        survey.save()
        assert (
            client.get(reverse("respond:site", kwargs={"token": survey.public_token, "site_pk": site.pk})).status_code
            == 404
        )

    def test_closed_survey_says_so(self, client, survey, site):
        """A closed survey's poster still leads somewhere: a page saying it is over."""
        survey.status = SurveyStatus.CLOSED
        survey.save()
        content = client.get(
            reverse("respond:site", kwargs={"token": survey.public_token, "site_pk": site.pk})
        ).content
        assert "Cette enquête est terminée" in content.decode()


@pytest.mark.django_db
class TestQuestionnaire:
    def test_whole_journey_records_one_web_response(self, client, invitation, household):
        """Code, three parts, review, send: one response through the web, the code spent, nothing personal shown."""
        enter(client)
        page = client.get(section_url(1))
        assert "Étape 1 sur 3" in page.content.decode()
        assert client.post(section_url(1), {"q-seul": "oui", "q-visites": "jamais"}).url == section_url(2)
        assert client.post(section_url(2), {"q-aides": ["papiers"], "q-age": "79"}).url == section_url(3)
        assert client.post(section_url(3), {"q-voisin": "non"}).url == reverse("respond:review")
        review = client.get(reverse("respond:review")).content.decode()
        assert "Jamais" in review and "Les papiers" in review and "79" in review
        client_id = client.session[respond.SESSION_KEY]["client_id"]
        sent = client.post(reverse("respond:review"), {"client_id": client_id})
        assert sent.url == reverse("respond:thanks")
        response = Response.objects.get()
        assert (response.channel, response.household, str(response.client_id)) == ("web", household, client_id)
        assert response.recorded_by is None
        assert sorted(response.needs) == ["isolation", "paperwork_help"]
        invitation.refresh_from_db()
        assert invitation.used_at is not None
        for content in (page.content.decode(), review):
            assert household.reference not in content and "Durandmarqueur" not in content

    def test_part_whose_condition_fails_is_skipped(self, client, invitation):
        """Not living alone: the part about neighbours is not asked, and its answers are not kept."""
        enter(client)
        client.post(section_url(1), {"q-seul": "oui"})
        client.post(section_url(2), {})
        client.post(section_url(3), {"q-voisin": "oui"})
        # The resident goes back and changes the first answer: part 3 no longer applies.
        assert client.post(section_url(1), {"q-seul": "non"}).url == section_url(2)
        assert client.post(section_url(2), {}).url == reverse("respond:review")
        assert client.get(section_url(3)).url == reverse("respond:review")
        client.post(reverse("respond:review"), {"client_id": client.session[respond.SESSION_KEY]["client_id"]})
        assert list(Response.objects.get().answers.values_list("question__name", flat=True)) == ["seul"]

    def test_errors_are_shown_and_linked(self, client, invitation):
        """A required question left empty: the summary links to it, the page stays, nothing is kept."""
        enter(client)
        page = client.post(section_url(1), {})
        content = page.content.decode()
        assert page.status_code == 200
        assert "<title>Erreur : " in content
        assert '<a href="#id_q-seul_0">' in content
        assert "Cette question demande une réponse." in content
        assert client.session[respond.SESSION_KEY]["answers"] == {}

    def test_conditional_question_says_its_condition(self, client, invitation):
        """Without JavaScript, the conditional question is shown with its condition in words."""
        enter(client)
        content = client.get(section_url(1)).content.decode()
        assert "À remplir seulement si vous avez répondu « Oui » à la question « Vivez-vous seul(e) ? »." in content
        assert "<fieldset" in content and "<legend>Vivez-vous seul(e) ?" in content

    def test_previous_answers_are_prefilled(self, client, invitation):
        """Going back shows the answers already given."""
        enter(client)
        client.post(section_url(1), {"q-seul": "oui"})
        client.post(section_url(2), {"q-aides": ["papiers", "numerique"]})
        content = client.get(section_url(2)).content.decode()
        assert re.search(r'value="papiers"[^>]*checked', content)
        assert re.search(r'value="numerique"[^>]*checked', content)

    def test_double_send_records_once(self, client, invitation):
        """Sending twice (double click): one response, and both land on the thank-you page."""
        enter(client)
        client.post(section_url(1), {"q-seul": "non"})
        client.post(section_url(2), {})
        client_id = client.session[respond.SESSION_KEY]["client_id"]
        first = client.post(reverse("respond:review"), {"client_id": client_id})
        second = client.post(reverse("respond:review"), {"client_id": client_id})
        assert first.url == second.url == reverse("respond:thanks")
        assert Response.objects.count() == 1

    def test_answered_meanwhile_by_phone(self, client, invitation):
        """If the household answered by phone while the resident was on the web, sending says so."""
        enter(client)
        client.post(section_url(1), {"q-seul": "non"})
        client.post(section_url(2), {})
        ResponseFactory(survey=invitation.survey, household=invitation.household)
        refused = client.post(
            reverse("respond:review"), {"client_id": client.session[respond.SESSION_KEY]["client_id"]}
        )
        assert refused.status_code == 422
        assert "Ce ménage a déjà répondu le" in refused.content.decode()
        assert Response.objects.count() == 1

    def test_without_code_back_to_start(self, client):
        """The questionnaire's pages need a code entered first."""
        assert client.get(section_url(1)).url == START
        assert client.get(reverse("respond:review")).url == START

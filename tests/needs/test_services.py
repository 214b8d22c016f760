"""The submission service: every channel's answers checked the same way, stored once, never half-saved."""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from proxima.households.models import Interaction
from proxima.needs import services
from proxima.needs.enums import Channel, Need, SurveyStatus
from proxima.needs.models import Answer, Invitation, Response
from proxima.needs.services import ResponseRejected, submit_response
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory
from tests.needs.factories import InvitationFactory, small_survey
from tests.territory.factories import DwellingFactory, SiteFactory

TODAY = dt.date(2026, 11, 2)
VALID = {"seul": "oui", "visites": "jamais", "aides": ["papiers", "numerique"], "age": "81", "remarque": " Merci "}


@pytest.fixture
def household(landlord):
    return HouseholdFactory(dwelling=DwellingFactory(organisation=landlord, building__site__organisation=landlord))


@pytest.fixture
def survey(landlord, household):
    return small_survey(landlord, sites=[household.dwelling.building.site])


@pytest.fixture
def staff_user(landlord):
    return UserFactory(organisation=landlord)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)


def submit(survey, household, answers=VALID, **kwargs):
    params = {"channel": Channel.PHONE, "client_id": uuid.uuid4(), "collected_on": TODAY, **kwargs}
    return submit_response(survey=survey, household=household, answers=answers, **params)


@pytest.mark.django_db
class TestSubmitResponse:
    def test_stores_answers_as_xlsform_writes_them(self, survey, household, staff_user):
        """Choice values are space-separated in choice order, blanks trimmed; the needs are computed."""
        response, created = submit(survey, household, by=staff_user)
        assert created
        stored = dict(Answer.objects.filter(response=response).values_list("question__name", "value"))
        assert stored == {
            "seul": "oui",
            "visites": "jamais",
            "aides": "papiers numerique",
            "age": "81",
            "remarque": "Merci",
        }
        assert response.needs == [Need.ISOLATION, Need.PAPERWORK_HELP]
        assert response.site == household.dwelling.building.site
        assert response.version == survey.current_version
        assert response.recorded_by == staff_user

    def test_irrelevant_answers_are_dropped(self, survey, household):
        """« visites » is asked only of people living alone: its answer is not kept otherwise."""
        response, _ = submit(survey, household, {"seul": "non", "visites": "jamais"})
        assert list(response.answers.values_list("question__name", flat=True)) == ["seul"]
        assert response.needs == []

    @pytest.mark.parametrize(
        ("answers", "name", "message"),
        [
            ({}, "seul", "Cette question demande une réponse."),
            ({"seul": "peut-être"}, "seul", "« peut-être » n'est pas un des choix proposés."),
            ({"seul": "oui non"}, "seul", "Une seule réponse est possible."),
            (
                {"seul": "non", "aides": ["papiers", "voiture"]},
                "aides",
                "« voiture » n'est pas un des choix proposés.",
            ),
            ({"seul": "non", "age": "douze"}, "age", "Un nombre est attendu, par exemple 42."),
            ({"seul": "non", "age": "12"}, "age", "Un âge entre 18 et 120 ans."),
            ({"seul": "non", "inconnue": "x"}, "__all__", "Question inconnue dans ce questionnaire : « inconnue »."),
        ],
    )
    def test_invalid_answers_are_rejected_and_nothing_saved(self, survey, household, answers, name, message):
        """Each problem is reported under its question, and no response is recorded."""
        with pytest.raises(ResponseRejected) as error:
            submit(survey, household, answers)
        assert error.value.errors[name] == [message]
        assert not Response.objects.exists()
        assert not Answer.objects.exists()

    def test_decimal_comma_and_french_date(self):
        """Numbers take a decimal comma; dates are stored ISO (checked by the pure module)."""
        from proxima.needs.validation import QuestionRule, check_answers

        rules = [QuestionRule(name="n", kind="number"), QuestionRule(name="d", kind="date")]
        checked = check_answers(rules, {"n": "2,5", "d": "02/11/2026"})
        assert checked.values == {"n": "2.5", "d": "2026-11-02"}
        assert check_answers(rules, {"d": "31/02/2026"}).errors == {
            "d": ["Une date est attendue, au format JJ/MM/AAAA (par exemple 02/11/2026)."]
        }

    def test_same_client_id_is_idempotent(self, survey, household):
        """A retry with the same client id returns the first response and changes nothing."""
        client_id = uuid.uuid4()
        first, created = submit(survey, household, client_id=client_id)
        again, created_again = submit(survey, household, {"seul": "non"}, client_id=client_id)
        assert (created, created_again) == (True, False)
        assert again.pk == first.pk
        assert Response.objects.count() == 1
        assert again.answers.get(question__name="seul").value == "oui"

    def test_client_id_of_another_household_is_rejected(self, survey, household, landlord):
        """A client id names one submission: reusing it for another household is refused."""
        client_id = uuid.uuid4()
        submit(survey, household, client_id=client_id)
        other = HouseholdFactory(dwelling__building__site=household.dwelling.building.site, organisation=landlord)
        with pytest.raises(ResponseRejected) as error:
            submit(survey, other, client_id=client_id)
        assert "autre ménage" in error.value.errors["__all__"][0]

    def test_one_response_per_household(self, survey, household):
        """A second response with another client id is refused, saying when the household answered."""
        submit(survey, household)
        with pytest.raises(ResponseRejected) as error:
            submit(survey, household, channel=Channel.HOME_VISIT)
        assert error.value.errors["__all__"] == [
            "Ce ménage a déjà répondu le 02/11/2026 (par téléphone, saisi par l'équipe) : une seule réponse par ménage."
        ]
        assert Response.objects.count() == 1

    @pytest.mark.parametrize("status", [SurveyStatus.DRAFT, SurveyStatus.CLOSED])
    def test_survey_must_be_open(self, landlord, household, status):
        """A survey in preparation or closed takes no answers."""
        survey = small_survey(landlord, status=status)
        with pytest.raises(ResponseRejected) as error:
            submit(survey, household)
        assert error.value.errors["__all__"] == ["Cette enquête n'est pas ouverte : elle ne reçoit pas de réponses."]

    def test_household_must_be_targeted(self, survey, landlord):
        """A survey of some sites does not take answers from the households of other sites."""
        elsewhere = HouseholdFactory(dwelling=DwellingFactory(building__site=SiteFactory(organisation=landlord)))
        with pytest.raises(ResponseRejected) as error:
            submit(survey, elsewhere)
        assert "visée par l'enquête" in error.value.errors["__all__"][0]

    def test_survey_by_commune_targets_its_households(self, landlord, household):
        """A survey naming communes takes the households of every site in them."""
        survey = small_survey(landlord)
        survey.communes.set([household.dwelling.building.site.commune])
        _, created = submit(survey, household)
        assert created

    def test_household_of_another_organisation(self, survey, other_landlord):
        """Another landlord's household can never answer this landlord's survey."""
        stranger = HouseholdFactory(dwelling=DwellingFactory(organisation=other_landlord))
        with pytest.raises(ResponseRejected) as error:
            submit(survey, stranger)
        assert error.value.errors["__all__"] == ["Ce ménage n'est pas un ménage de l'organisme qui mène l'enquête."]

    def test_future_date_is_rejected(self, survey, household):
        """Answers are collected today or earlier."""
        with pytest.raises(ResponseRejected) as error:
            submit(survey, household, collected_on=TODAY + dt.timedelta(days=1))
        assert error.value.errors["__all__"] == ["La date de recueil ne peut pas être dans le futur."]

    def test_invitation_is_marked_used(self, survey, household):
        """The letter's code works once: the web response spends it."""
        invitation = InvitationFactory(survey=survey, household=household)
        response, _ = submit(survey, household, channel=Channel.WEB, invitation=invitation)
        invitation.refresh_from_db()
        assert invitation.used_at is not None
        assert response.invitation == invitation

    def test_assisted_response_spends_the_letter_code_too(self, survey, household):
        """Once the household has answered by phone, its letter's code is spent."""
        invitation = InvitationFactory(survey=survey, household=household)
        submit(survey, household)
        assert Invitation.objects.get(pk=invitation.pk).used_at is not None

    def test_used_invitation_is_rejected(self, survey, household):
        """A used code is refused even if no response carries it."""
        invitation = InvitationFactory(survey=survey, household=household, used_at=timezone.now())
        with pytest.raises(ResponseRejected) as error:
            submit(survey, household, channel=Channel.WEB, invitation=invitation)
        assert error.value.errors["__all__"] == ["Ce code a déjà été utilisé."]

    def test_assisted_response_is_a_contact(self, survey, household, staff_user):
        """A phone or home-visit response goes into the household's contact history; a web one does not."""
        submit(survey, household, channel=Channel.HOME_VISIT, by=staff_user)
        contact = Interaction.objects.get(household=household)
        assert (contact.channel, contact.source, contact.recorded_by) == ("home_visit", "enquête", staff_user)

    def test_web_response_is_not_a_contact(self, survey, household):
        """The household answered alone: no one of the staff was in contact."""
        submit(survey, household, channel=Channel.WEB)
        assert not Interaction.objects.exists()

    def test_race_lost_to_the_same_submission(self, survey, household, monkeypatch):
        """A concurrent sync committed the same answers after the first look-up: found again, not « already answered »."""
        client_id = uuid.uuid4()
        first, _ = submit(survey, household, client_id=client_id)
        lookups = iter([None])  # the first look-up misses, as it would before the other sync commits
        real = services._find_by_client_id
        monkeypatch.setattr(services, "_find_by_client_id", lambda cid: next(lookups, real(cid)))
        again, created = submit(survey, household, client_id=client_id)
        assert (again.pk, created) == (first.pk, False)
        assert Response.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_syncs_create_one_response(landlord):
    """Two threads submitting the same answers at once: one row, both callers get it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    household = HouseholdFactory(
        dwelling=DwellingFactory(organisation=landlord, building__site__organisation=landlord)
    )
    survey = small_survey(landlord, sites=[household.dwelling.building.site])
    client_id = uuid.uuid4()
    barrier = threading.Barrier(2)
    results = []

    def sync():
        barrier.wait()
        try:
            results.append(submit(survey, household, client_id=client_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Response.objects.count() == 1
    assert sorted(created for _, created in results) == [False, True]
    assert len({response.pk for response, _ in results}) == 1

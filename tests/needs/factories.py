import datetime as dt
import uuid

import factory

from proxima.needs.enums import Channel, Need, QuestionKind, SurveyStatus, Theme
from proxima.needs.models import Answer, Choice, Invitation, Question, Response, Section, Survey, SurveyVersion
from tests.accounts.factories import OrganisationFactory
from tests.households.factories import HouseholdFactory


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Enquête besoins {n}")
    status = SurveyStatus.OPEN


class SurveyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyVersion

    survey = factory.SubFactory(SurveyFactory)
    number = factory.Sequence(lambda n: n + 1)
    form_id = factory.Sequence(lambda n: f"enquete_{n}")
    source = "banque"


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    version = factory.SubFactory(SurveyVersionFactory)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"section_{n}")
    title = "Votre quotidien"


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    section = factory.SubFactory(SectionFactory)
    version = factory.SelfAttribute("section.version")
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"q{n}")
    kind = QuestionKind.TEXT
    label = "Avez-vous une remarque ?"


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    position = factory.Sequence(lambda n: n)
    value = factory.Sequence(lambda n: f"c{n}")
    label = factory.Sequence(lambda n: f"Choix {n}")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    household = factory.SubFactory(HouseholdFactory, organisation=factory.SelfAttribute("..survey.organisation"))


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    survey = factory.SubFactory(SurveyFactory)
    version = factory.LazyAttribute(lambda r: r.survey.current_version)
    household = factory.SubFactory(HouseholdFactory)
    site = factory.LazyAttribute(lambda r: r.household.dwelling.building.site if r.household else None)
    channel = Channel.PHONE
    client_id = factory.LazyFunction(uuid.uuid4)
    collected_on = dt.date(2026, 11, 2)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(QuestionFactory)
    value = "oui"


def small_survey(organisation, *, sites=(), status=SurveyStatus.OPEN):
    """A hand-checkable open survey, current version 1, two sections:

    - ``seul`` (yes/no, required): "Vivez-vous seul(e) ?" — ``oui`` signals isolation;
    - ``visites`` (single choice, shown only if ``${seul} = 'oui'``): how often someone visits —
      ``jamais`` and ``rarement`` signal isolation;
    - ``aides`` (multiple choice): the help wanted — ``papiers`` signals paperwork help,
      ``numerique`` digital help, ``aucune`` nothing;
    - ``age`` (number, constraint ``. >= 18 and . <= 120``);
    - ``remarque`` (free text).
    """
    survey = SurveyFactory(organisation=organisation, status=status, title="Vos besoins au quotidien")
    survey.sites.set(sites)
    version = SurveyVersionFactory(survey=survey, number=1, form_id="vos_besoins")
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    first = SectionFactory(version=version, position=1, name="isolement", title="Isolement")
    second = SectionFactory(version=version, position=2, name="aides", title="Les aides")
    seul = QuestionFactory(
        section=first,
        position=1,
        name="seul",
        kind=QuestionKind.YES_NO,
        label="Vivez-vous seul(e) ?",
        required=True,
        theme=Theme.ISOLATION,
        need=Need.ISOLATION,
    )
    ChoiceFactory(question=seul, position=1, value="oui", label="Oui", signals_need=True)
    ChoiceFactory(question=seul, position=2, value="non", label="Non")
    visites = QuestionFactory(
        section=first,
        position=2,
        name="visites",
        kind=QuestionKind.SINGLE_CHOICE,
        label="Recevez-vous des visites ?",
        relevant="${seul} = 'oui'",
        theme=Theme.ISOLATION,
        need=Need.ISOLATION,
    )
    for i, (value, label, signals) in enumerate(
        [("souvent", "Souvent", False), ("rarement", "Rarement", True), ("jamais", "Jamais", True)], start=1
    ):
        ChoiceFactory(question=visites, position=i, value=value, label=label, signals_need=signals)
    aides = QuestionFactory(
        section=second,
        position=3,
        name="aides",
        kind=QuestionKind.MULTIPLE_CHOICE,
        label="Pour quoi aimeriez-vous de l'aide ?",
        theme=Theme.PAPERWORK,
        need=Need.PAPERWORK_HELP,
    )
    for i, (value, label, signals) in enumerate(
        [("papiers", "Les papiers", True), ("numerique", "Internet", False), ("aucune", "Rien", False)], start=1
    ):
        ChoiceFactory(question=aides, position=i, value=value, label=label, signals_need=signals)
    QuestionFactory(
        section=second,
        position=4,
        name="age",
        kind=QuestionKind.NUMBER,
        label="Quel âge avez-vous ?",
        constraint=". >= 18 and . <= 120",
        constraint_message="Un âge entre 18 et 120 ans.",
    )
    QuestionFactory(section=second, position=5, name="remarque", kind=QuestionKind.TEXT, label="Une remarque ?")
    return survey

"""The demo's needs survey: the question bank as an open survey, letters' codes, synthetic answers on
every channel, a contact history, field agents' sites and the outreach settings.

Everything goes through the same services as real use (survey from the bank, invitations, the
submission service that validates each answer), and rebuilding the demo changes nothing: the
survey is found by its title, each synthetic response has a client id derived from its household.
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.demo.answers import HouseholdProfile, QuestionSpec, synthesize_responses
from proxima.households.enums import InteractionChannel, PersonRole
from proxima.households.models import Household, Interaction
from proxima.needs import bank
from proxima.needs.enums import ASSISTED_CHANNELS, CHOICE_KINDS, Channel
from proxima.needs.invitations import create_invitations
from proxima.needs.models import Invitation, Question, Response, Survey
from proxima.needs.outreach_services import assign_site_agents, site_services_km, update_outreach_settings
from proxima.needs.services import ResponseRejected, submit_response
from proxima.needs.survey_services import create_survey_from_bank, open_survey
from proxima.territory.models import Site

SURVEY_TITLE = "Vos besoins au quotidien (enquête de démonstration)"
SURVEY_DESCRIPTION = (
    "Votre bailleur veut mieux connaître vos besoins pour proposer des services près de chez vous : "
    "visites de convivialité, aide aux démarches, transport, activités. Répondre prend dix minutes. "
    "Vos réponses restent chez votre bailleur."
)
HISTORY_SOURCE = "historique (démo)"
FAR_KM = 10


@dataclass
class NeedsDemoResult:
    survey: Survey
    invitations_created: int
    responses_created: int
    responses_rejected: int


def _question_specs(survey: Survey) -> list[QuestionSpec]:
    questions = Question.objects.filter(version=survey.current_version).prefetch_related("choices")
    return [
        QuestionSpec(
            name=q.name,
            kind=q.kind,
            need=q.need,
            required=q.required,
            relevant=q.relevant,
            constraint=q.constraint,
            choices=tuple((c.value, c.signals_need) for c in q.choices.all()) if q.kind in CHOICE_KINDS else (),
        )
        for q in questions.order_by("position")
    ]


def _profiles(organisation, today: dt.date, far_sites: set[int]) -> list[HouseholdProfile]:
    rows = (
        Household.objects.for_organisation(organisation)
        .annotate(
            persons_count=Count("persons"),
            reference_birth_year=Min("persons__birth_year", filter=Q(persons__role=PersonRole.REFERENCE)),
        )
        .values_list(
            "pk", "reference_birth_year", "persons_count", "arrears_amount", "has_car", "dwelling__building__site_id"
        )
        .order_by("pk")
    )
    return [
        HouseholdProfile(
            household_id=pk,
            age=today.year - birth_year if birth_year else None,
            persons=persons,
            in_arrears=arrears > 0,
            has_car=has_car,
            far_from_services=site_id in far_sites,
        )
        for pk, birth_year, persons, arrears, has_car, site_id in rows
    ]


def _assign_agent(organisation) -> None:
    """The demo's field agent covers whole communes, about a third of the sites, the busiest communes first."""
    agent = organisation.users.filter(role=Role.FIELD_AGENT).order_by("pk").first()
    if agent is None or agent.assigned_sites.exists():
        return
    sites = Site.objects.for_organisation(organisation)
    by_commune = sites.values("commune_id").annotate(n=Count("pk")).order_by("-n", "commune_id")
    communes, covered, total = [], 0, sites.count()
    for row in by_commune:
        if communes and covered + row["n"] > total / 3:
            break
        communes.append(row["commune_id"])
        covered += row["n"]
    coverage = {pk: [agent.pk] for pk in sites.filter(commune_id__in=communes).values_list("pk", flat=True)}
    assign_site_agents(organisation=organisation, coverage=coverage)


def _contact_history(organisation, today: dt.date, seed: int) -> None:
    """Past calls and visits, so that "no recorded contact for N months" flags some households, not all."""
    if Interaction.objects.filter(organisation=organisation, source=HISTORY_SOURCE).exists():
        return
    rng = random.Random(seed)
    channels = [InteractionChannel.PHONE, InteractionChannel.OFFICE, InteractionChannel.HOME_VISIT]
    interactions = []
    for pk in Household.objects.for_organisation(organisation).order_by("pk").values_list("pk", flat=True):
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            days_ago = rng.randint(1, 900)
            when = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(10, 0))
            interactions.append(
                Interaction(
                    organisation=organisation,
                    household_id=pk,
                    occurred_at=timezone.make_aware(when),
                    channel=rng.choice(channels),
                    source=HISTORY_SOURCE,
                )
            )
    Interaction.objects.bulk_create(interactions, batch_size=2000)


def build_needs_demo(organisation, *, today: dt.date, seed: int = 0, progress=None) -> NeedsDemoResult:
    """Build or refresh the demo's survey and answers. ``progress(done, total)`` reports the answers' entry."""
    staff = organisation.users.filter(role=Role.STAFF).order_by("pk").first()
    _assign_agent(organisation)
    survey = Survey.objects.filter(organisation=organisation, title=SURVEY_TITLE).first()
    if survey is None:
        codes = [q.bank_code for theme in bank.questions_by_theme() for q in theme.questions]
        survey = create_survey_from_bank(
            organisation=organisation, title=SURVEY_TITLE, description=SURVEY_DESCRIPTION, bank_codes=codes, by=staff
        )
        open_survey(survey=survey, today=today - dt.timedelta(days=60), by=staff)
    invitations_created = create_invitations(survey=survey, by=staff)

    coordinates = {
        pk: (lat, lon)
        for pk, lat, lon in Site.objects.for_organisation(organisation).values_list("pk", "latitude", "longitude")
    }
    far_sites = {pk for pk, km in site_services_km(coordinates).items() if km > FAR_KM}
    answered = set(Response.objects.filter(survey=survey).values_list("household_id", flat=True))
    drawn = [
        r
        for r in synthesize_responses(_profiles(organisation, today, far_sites), _question_specs(survey), seed=seed)
        if r.household_id not in answered
    ]
    households = Household.objects.select_related("dwelling__building__site").in_bulk([r.household_id for r in drawn])
    invitations = {i.household_id: i for i in Invitation.objects.filter(survey=survey, household_id__in=households)}
    rng = random.Random(seed)
    created = rejected = 0
    for done, synthetic in enumerate(drawn, start=1):
        channel = synthetic.channel
        by_code = channel in (Channel.WEB, Channel.PAPER)
        try:
            submit_response(
                survey=survey,
                household=households[synthetic.household_id],
                channel=channel,
                answers=synthetic.answers,
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"proxima-demo/{survey.pk}/{synthetic.household_id}"),
                collected_on=today - dt.timedelta(days=rng.randint(0, 55)),
                by=staff if channel in ASSISTED_CHANNELS or channel in (Channel.PAPER, Channel.OFFLINE) else None,
                invitation=invitations.get(synthetic.household_id) if by_code else None,
            )
            created += 1
        except ResponseRejected:
            rejected += 1
        if progress:
            progress(done, len(drawn))
    _contact_history(organisation, today, seed)
    update_outreach_settings(organisation=organisation, no_contact_months=12, far_km=FAR_KM, survey=survey)
    return NeedsDemoResult(survey, invitations_created, created, rejected)

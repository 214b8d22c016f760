"""Writes of the needs app: recording a household's response, whatever the channel it came through.

Every channel (web self-service, assisted entry, offline tablets, paper) ends in :func:`submit_response`,
so the rules are the same everywhere: the checks of :mod:`proxima.needs.validation`, one response per
household and survey, and idempotence on the ``client_id`` created where the answers were typed.
"""

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from proxima.households.enums import InteractionChannel
from proxima.households.models import Household, Interaction
from proxima.needs.enums import ASSISTED_CHANNELS, Channel, SurveyStatus
from proxima.needs.models import Answer, Invitation, Question, Response, Survey, SurveyVersion
from proxima.needs.validation import ALL, ChoiceRule, QuestionRule, check_answers
from proxima.territory.models import Site


class ResponseRejected(Exception):
    """errors: dict[str, list[str]] — question name (or "__all__") -> messages in French."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(" ; ".join(f"{name} : {' '.join(messages)}" for name, messages in errors.items()))


def question_rules(version: SurveyVersion) -> list[QuestionRule]:
    """The questions of ``version`` as :func:`proxima.needs.validation.check_answers` takes them, in order."""
    return [rule_of(q) for q in questions_of(version)]


def questions_of(version: SurveyVersion):
    return (
        Question.objects.filter(version=version)
        .select_related("section")
        .prefetch_related("choices")
        .order_by("section__position", "position")
    )


def rule_of(question: Question) -> QuestionRule:
    return QuestionRule(
        name=question.name,
        kind=question.kind,
        label=question.label,
        required=question.required,
        relevant=question.relevant,
        section_relevant=question.section.relevant,
        constraint=question.constraint,
        constraint_message=question.constraint_message,
        need=question.need,
        choices=tuple(ChoiceRule(c.value, c.label, c.signals_need) for c in question.choices.all()),
    )


def targeted(survey: Survey, households):
    """The households of ``households`` that ``survey`` is for: its sites and communes, or all when it names none."""
    site_ids = list(survey.sites.values_list("pk", flat=True))
    commune_codes = list(survey.communes.values_list("pk", flat=True))
    households = households.filter(organisation_id=survey.organisation_id)
    if not site_ids and not commune_codes:
        return households
    return households.filter(
        Q(dwelling__building__site__in=site_ids) | Q(dwelling__building__site__commune__in=commune_codes)
    )


def targeted_sites(survey: Survey):
    """The sites ``survey`` is for: those it names and those of the communes it names, or all the landlord's."""
    sites = Site.objects.for_organisation(survey.organisation).select_related("commune")
    site_ids = list(survey.sites.values_list("pk", flat=True))
    commune_codes = list(survey.communes.values_list("pk", flat=True))
    if site_ids or commune_codes:
        sites = sites.filter(Q(pk__in=site_ids) | Q(commune__in=commune_codes))
    return sites.order_by("commune__name", "name", "pk")


def already_answered_message(response: Response) -> str:
    return (
        f"Ce ménage a déjà répondu le {response.collected_on:%d/%m/%Y} "
        f"({response.get_channel_display()}) : une seule réponse par ménage."
    )


def _find_by_client_id(client_id: uuid.UUID) -> Response | None:
    return Response.objects.filter(client_id=client_id).first()


def _same_submission(existing: Response, *, survey: Survey, household: Household | None) -> Response:
    """The response already recorded under this client id, if it is the same household's for the same survey."""
    if existing.survey_id != survey.pk or existing.household_id != (household.pk if household else None):
        raise ResponseRejected(
            {ALL: ["Cet identifiant de réponse a déjà servi pour un autre ménage ou une autre enquête."]}
        )
    return existing


def _check_submission(*, survey, household, channel, collected_on, invitation, client_id) -> dict[str, list[str]]:
    problems = []
    if survey.status != SurveyStatus.OPEN:
        problems.append("Cette enquête n'est pas ouverte : elle ne reçoit pas de réponses.")
    if survey.current_version_id is None:
        problems.append("Cette enquête n'a pas encore de questions.")
    if channel not in Channel.values:
        problems.append(f"Canal inconnu : « {channel} ».")
    if collected_on > timezone.localdate():
        problems.append("La date de recueil ne peut pas être dans le futur.")
    if household is not None:
        if household.organisation_id != survey.organisation_id:
            problems.append("Ce ménage n'est pas un ménage de l'organisme qui mène l'enquête.")
        elif not targeted(survey, Household.objects.filter(pk=household.pk)).exists():
            problems.append("Ce ménage n'habite pas une résidence ou une commune visée par l'enquête.")
        else:
            earlier = Response.objects.filter(survey=survey, household=household).first()
            # The same client id is the same submission, committed by a concurrent sync since the
            # first look-up: not a second answer (the insert below then finds it).
            if earlier is not None and earlier.client_id != client_id:
                problems.append(already_answered_message(earlier))
    if invitation is not None:
        if invitation.survey_id != survey.pk or household is None or invitation.household_id != household.pk:
            problems.append("Ce code ne correspond pas à ce questionnaire.")
        elif invitation.used_at is not None:
            problems.append("Ce code a déjà été utilisé.")
    return {ALL: problems} if problems else {}


def _record_contact(*, response: Response, household: Household, by) -> None:
    """An assisted response is a contact with the household: it goes into its interaction history."""
    now = timezone.now()
    if response.collected_on == timezone.localdate(now):
        occurred_at = now
    else:  # answers typed later (a visit's notes): the day is known, not the hour
        occurred_at = timezone.make_aware(dt.datetime.combine(response.collected_on, dt.time(12)))
    Interaction.objects.create(
        organisation_id=household.organisation_id,
        household=household,
        occurred_at=occurred_at,
        channel=InteractionChannel(response.channel),
        source="enquête",
        theme="",
        outcome="questionnaire rempli",
        note=str(response.survey)[:500],
        recorded_by=by,
    )


def submit_response(
    *,
    survey: Survey,
    household: Household | None,
    channel: str,
    answers: Mapping[str, str | Sequence[str]],
    client_id: uuid.UUID,
    collected_on: dt.date,
    by=None,
    invitation: Invitation | None = None,
) -> tuple[Response, bool]:
    """Record a household's answers to ``survey``; return the response and whether it was created.

    The same ``client_id`` again returns the response already recorded, unchanged (a retry, a double
    tap, a sync that resumes). Anything wrong raises :class:`ResponseRejected` and records nothing.
    """
    with transaction.atomic():
        existing = _find_by_client_id(client_id)
        if existing is not None:
            return _same_submission(existing, survey=survey, household=household), False
        errors = _check_submission(
            survey=survey,
            household=household,
            channel=channel,
            collected_on=collected_on,
            invitation=invitation,
            client_id=client_id,
        )
        if errors:
            raise ResponseRejected(errors)
        version = survey.current_version
        questions = list(questions_of(version))
        checked = check_answers([rule_of(q) for q in questions], answers)
        if checked.errors:
            raise ResponseRejected(checked.errors)
        try:
            # A savepoint: when a concurrent submission of the same answers wins the race, the unique
            # constraints refuse this one and the transaction goes on to read the winner.
            with transaction.atomic():
                response = Response.objects.create(
                    survey=survey,
                    version=version,
                    household=household,
                    site=household.dwelling.building.site if household else None,
                    invitation=invitation,
                    channel=channel,
                    client_id=client_id,
                    collected_on=collected_on,
                    recorded_by=by,
                    needs=list(checked.needs),
                )
        except IntegrityError:
            existing = _find_by_client_id(client_id)
            if existing is not None:
                return _same_submission(existing, survey=survey, household=household), False
            earlier = Response.objects.filter(survey=survey, household=household).first()
            if household is not None and earlier is not None:
                raise ResponseRejected({ALL: [already_answered_message(earlier)]}) from None
            raise
        by_name = {q.name: q for q in questions}
        Answer.objects.bulk_create(
            Answer(response=response, question=by_name[name], value=value) for name, value in checked.values.items()
        )
        if household is not None:
            # The letter's code is single-use whatever the channel: once the household has answered, it is spent.
            Invitation.objects.filter(survey=survey, household=household, used_at=None).update(used_at=timezone.now())
            if channel in ASSISTED_CHANNELS:
                _record_contact(response=response, household=household, by=by)
    return response, True

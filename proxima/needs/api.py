"""API of the needs app: the offline tablets download surveys and households, and sync their queued responses.

Same authentication as the rest of the API (bearer token, or the browser session with its CSRF
token for writes). Everything is scoped to the caller's organisation and, for a field agent, to
the households of the sites entrusted to them.
"""

import pydantic
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from proxima.accounts import audit, perms
from proxima.accounts.enums import AuditAction
from proxima.households.enums import PersonRole
from proxima.households.models import Household, Person
from proxima.needs import services
from proxima.needs.enums import ASSISTED_CHANNELS, Channel
from proxima.needs.models import Response, Survey
from proxima.needs.schemas import (
    HouseholdBriefOut,
    HouseholdBriefPage,
    RejectedOut,
    ResponseIn,
    ResponseOut,
    SurveyOut,
)

router = Router(tags=["enquêtes"])

MAX_LIMIT = 500
# The channels a tablet may declare: answers typed by a member of staff, offline or not.
SYNC_CHANNELS = {Channel.OFFLINE, *ASSISTED_CHANNELS}


def _collector(request):
    user = request.auth
    if not perms.can_collect_answers(user, user.organisation):
        raise PermissionDenied
    return user


def _open_surveys(user):
    return Survey.objects.for_organisation(user.organisation).open().filter(current_version__isnull=False)


@router.get(
    "/surveys", response=list[SurveyOut], url_name="needs_surveys", summary="Enquêtes ouvertes et leurs questions"
)
def list_surveys(request):
    user = _collector(request)
    surveys = []
    for survey in _open_surveys(user).select_related("current_version").order_by("title", "pk"):
        questions = list(services.questions_of(survey.current_version))
        rules = [services.rule_of(q) for q in questions]
        surveys.append(SurveyOut.from_survey(survey, questions, rules))
    return surveys


class HouseholdParams(Schema):
    # Optional in the schema so that the rights are checked first (a partner gets 403, not 422).
    survey: int | None = None
    limit: int = 200
    offset: int = 0


def _brief(household) -> HouseholdBriefOut:
    holder = next(iter(household.holders), None)
    building = household.dwelling.building
    return HouseholdBriefOut(
        id=household.pk,
        reference=household.reference,
        site=building.site.name,
        address=f"{building.address or building.site.address}, logement {household.dwelling.reference}",
        name=f"{holder.first_name} {holder.last_name[:1]}." if holder else "",
        answered=household.answered,
    )


@router.get(
    "/households",
    response=HouseholdBriefPage,
    url_name="needs_households",
    summary="Ménages visés par une enquête (minimum pour les trouver ; audité)",
)
def list_households(request, params: Query[HouseholdParams]):
    user = _collector(request)
    if params.survey is None:
        raise HttpError(422, "Le paramètre survey (l'enquête) est obligatoire.")
    if not 1 <= params.limit <= MAX_LIMIT or params.offset < 0:
        raise HttpError(422, f"limit doit être entre 1 et {MAX_LIMIT}, offset positif ou nul.")
    survey = get_object_or_404(_open_surveys(user), pk=params.survey)
    households = (
        services.targeted(survey, Household.objects.visible_to(user))
        .select_related("dwelling__building__site")
        .prefetch_related(
            Prefetch("persons", queryset=Person.objects.filter(role=PersonRole.REFERENCE), to_attr="holders")
        )
        .annotate(answered=Exists(Response.objects.filter(survey=survey, household=OuterRef("pk"))))
        .order_by("dwelling__building__site__name", "reference", "pk")
    )
    items = [_brief(h) for h in households[params.offset : params.offset + params.limit]]
    audit.record(
        action=AuditAction.LIST,
        organisation_id=user.organisation_id,
        target_type="households.Household",
        target_repr=f"ménages visés par l'enquête « {survey} » (tablette)",
        details={"ids": [h.id for h in items], "survey": survey.pk},
        user=user,
        source=f"API {request.method} {request.path}",
    )
    return {"count": households.count(), "limit": params.limit, "offset": params.offset, "items": items}


@router.post(
    "/responses",
    response={200: ResponseOut, 201: ResponseOut, 422: RejectedOut},
    url_name="needs_responses",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": ResponseIn.json_schema()}}}
    },
    summary="Envoyer une réponse (idempotent sur client_id)",
    description="201 : réponse enregistrée ; 200 : déjà enregistrée sous ce client_id (rien n'est modifié) ; "
    "422 : refusée, avec les erreurs par question ; 404 : enquête ou ménage hors de votre périmètre.",
)
def submit_response(request):
    user = _collector(request)
    # The body is read after the rights are checked, so a partner gets 403 whatever it sends.
    try:
        payload = ResponseIn.model_validate_json(request.body)
    except pydantic.ValidationError as error:
        errors = {}
        for problem in error.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "__all__"
            errors.setdefault(where, []).append(problem["msg"])
        return Status(422, {"detail": "Requête mal formée.", "errors": errors})
    survey = get_object_or_404(Survey.objects.for_organisation(user.organisation), pk=payload.survey)
    household = get_object_or_404(
        Household.objects.visible_to(user).select_related("dwelling__building__site"), pk=payload.household
    )
    if payload.channel not in SYNC_CHANNELS:
        allowed = ", ".join(sorted(SYNC_CHANNELS))
        errors = {"__all__": [f"Canal « {payload.channel} » non accepté ici ({allowed})."]}
        return Status(422, {"detail": "Réponse refusée.", "errors": errors})
    try:
        response, created = services.submit_response(
            survey=survey,
            household=household,
            channel=payload.channel,
            answers=payload.answers,
            client_id=payload.client_id,
            collected_on=payload.collected_on,
            by=user,
        )
    except services.ResponseRejected as rejected:
        return Status(422, {"detail": "Réponse refusée.", "errors": rejected.errors})
    body = {"id": response.pk, "client_id": response.client_id, "created": created, "needs": response.needs}
    return Status(201 if created else 200, body)

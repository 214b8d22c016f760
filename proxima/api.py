"""REST API (django-ninja). Every endpoint checks the caller's rights and scopes to their organisation."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError

from proxima.accounts import audit, perms
from proxima.accounts.enums import AuditAction
from proxima.core.api_auth import ApiTokenAuth, UserSessionAuth
from proxima.households.models import Household
from proxima.households.schemas import HouseholdDetailOut, HouseholdOut, HouseholdPage, PersonOut
from proxima.needs.api import router as needs_router
from proxima.territory.models import Dwelling, Site
from proxima.territory.schemas import DwellingOut, DwellingPage, SiteOut, SitePage

api = NinjaAPI(
    title="Proxima API",
    version="1",
    description="Patrimoine et ménages d'un bailleur social. Authentification : `Authorization: Bearer <jeton>` "
    "(jeton créé dans « Mon compte »). Chaque lecture d'un ménage est inscrite au journal d'audit.",
    auth=[ApiTokenAuth(), UserSessionAuth()],
    urls_namespace="api",
)

MAX_LIMIT = 500


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": "Accès refusé pour ce rôle."}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Introuvable."}, status=404)


class PageParams(Schema):
    limit: int = 100
    offset: int = 0


def _page(queryset, params: PageParams, convert) -> dict:
    """One page of ``queryset``: its total count, the page's bounds and its items converted."""
    if not 1 <= params.limit <= MAX_LIMIT or params.offset < 0:
        raise HttpError(422, f"limit doit être entre 1 et {MAX_LIMIT}, offset positif ou nul.")
    items = list(queryset[params.offset : params.offset + params.limit])
    return {
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": [convert(o) for o in items],
    }


def _one(queryset, pk: int):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _check(predicate, user):
    if not predicate(user, user.organisation):
        raise PermissionDenied


def _source(request) -> str:
    return f"API {request.method} {request.path}"


@api.get("/sites", response=SitePage, tags=["patrimoine"], summary="Résidences")
def list_sites(request, params: Query[PageParams]):
    user = request.auth
    _check(perms.can_view_stock, user)
    sites = Site.objects.for_organisation(user.organisation).select_related("commune").with_stock_counts()
    return _page(sites.order_by("pk"), params, SiteOut.from_site)


@api.get("/sites/{site_id}", response=SiteOut, tags=["patrimoine"], summary="Une résidence")
def get_site(request, site_id: int):
    user = request.auth
    _check(perms.can_view_stock, user)
    sites = Site.objects.for_organisation(user.organisation).select_related("commune").with_stock_counts()
    return SiteOut.from_site(_one(sites, site_id))


class DwellingFilters(PageParams):
    site: int | None = None
    status: str | None = None


@api.get("/dwellings", response=DwellingPage, tags=["patrimoine"], summary="Logements")
def list_dwellings(request, params: Query[DwellingFilters]):
    user = request.auth
    _check(perms.can_view_stock, user)
    dwellings = Dwelling.objects.for_organisation(user.organisation).select_related("building").order_by("pk")
    if params.site is not None:
        dwellings = dwellings.filter(building__site_id=params.site)
    if params.status:
        dwellings = dwellings.filter(status=params.status)
    return _page(dwellings, params, DwellingOut.from_dwelling)


@api.get("/dwellings/{dwelling_id}", response=DwellingOut, tags=["patrimoine"], summary="Un logement")
def get_dwelling(request, dwelling_id: int):
    user = request.auth
    _check(perms.can_view_stock, user)
    dwellings = Dwelling.objects.for_organisation(user.organisation).select_related("building")
    return DwellingOut.from_dwelling(_one(dwellings, dwelling_id))


class HouseholdFilters(PageParams):
    site: int | None = None
    in_arrears: bool | None = None


@api.get("/households", response=HouseholdPage, tags=["ménages"], summary="Ménages (sans les noms ; audité)")
def list_households(request, params: Query[HouseholdFilters]):
    user = request.auth
    _check(perms.can_view_households, user)
    households = (
        Household.objects.visible_to(user).select_related("dwelling__building").with_persons_count().order_by("pk")
    )
    if params.site is not None:
        households = households.filter(dwelling__building__site_id=params.site)
    if params.in_arrears is not None:
        households = households.in_arrears() if params.in_arrears else households.filter(arrears_amount=0)
    page = _page(households, params, lambda h: HouseholdOut.from_household(h, h.persons_count))
    audit.record(
        action=AuditAction.LIST,
        organisation_id=user.organisation_id,
        target_type="households.Household",
        target_repr="liste des ménages (API)",
        details={"ids": [h.id for h in page["items"]]},
        user=user,
        source=_source(request),
    )
    return page


@api.get(
    "/households/{household_id}",
    response=HouseholdDetailOut,
    tags=["ménages"],
    summary="Un ménage et ses personnes (audité)",
)
def get_household(request, household_id: int):
    user = request.auth
    _check(perms.can_view_households, user)
    households = Household.objects.visible_to(user).select_related("dwelling__building").prefetch_related("persons")
    household = _one(households, household_id)
    audit.record_read(household, user=user, source=_source(request))
    persons = [PersonOut.from_orm(p) for p in household.persons.all()]
    base = HouseholdOut.from_household(household, len(persons))
    return HouseholdDetailOut(**base.dict(), persons=persons)


api.add_router("/needs", needs_router)

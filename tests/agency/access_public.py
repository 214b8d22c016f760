"""Access rules of the agency app's public routes (schedule, calendar feeds, posters), merged into tests/test_access.py.

Every page is public: residents have no account, and posters are stuck on walls. They show only the
published schedule (see tests/agency/test_public.py for what they show and their 404s).
"""

from tests.agency.factories import StopFactory
from tests.agency.factories_public import agency_settings, published_visit


def _org(w):
    return {"org": w["site"].organisation.slug}


def _stop(w):
    return {"org": w["site"].organisation.slug, "pk": w["public_visit"].stop_id}


def _commune(w):
    return {"org": w["site"].organisation.slug, "code": w["public_visit"].stop.commune_id}


ROUTES = {
    "agency_public:index": ("public", "get", _org),
    "agency_public:calendar": ("public", "get", _org),
    "agency_public:commune": ("public", "get", _commune),
    "agency_public:commune_calendar": ("public", "get", _commune),
    "agency_public:stop": ("public", "get", _stop),
    "agency_public:stop_calendar": ("public", "get", _stop),
    "agency_public:poster": ("public", "get", _stop),
}


def build(world):
    """A published visit next week at a square by the world's site (access_stops makes the site itself a stop)."""
    site = world["site"]
    organisation = site.organisation
    agency_settings(organisation)
    stop = StopFactory(
        organisation=organisation, name="Place du Marché", latitude=site.latitude, longitude=site.longitude
    )
    return {"public_visit": published_visit(organisation, stop=stop)}

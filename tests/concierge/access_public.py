"""Access rules of the concierge's pages for inhabitants, merged into tests/test_access.py's ROUTES.

Every page is public: inhabitants have no account. They show no one's name (see tests/concierge/test_public.py).
"""

from tests.concierge.factories import ConciergeSettingsFactory, OfficeHoursFactory


def _org(w):
    return {"org": w["site"].organisation.slug}


ROUTES = {
    "concierge_public:index": ("public", "get", _org),
    "concierge_public:request": ("public", "get", _org),
    "concierge_public:requested": ("public", "get", _org),
    "concierge_public:book": ("public", "get", lambda w: {**_org(w), "pk": w["public_office_hours"].pk}),
    "concierge_public:booked": ("public", "get", _org),
    "concierge_public:follow": ("public", "get", _org),
}
# Without a request sent or a booking made in this session, the confirmation pages send the visitor to the index.
PUBLIC_STATUS = {"concierge_public:requested": 302, "concierge_public:booked": 302}


def build(world):
    organisation = world["site"].organisation
    ConciergeSettingsFactory(organisation=organisation)
    return {"public_office_hours": OfficeHoursFactory(organisation=organisation)}

"""Access rules of the agency's stop routes, merged into tests/test_access.py's ROUTES.

Stops and their value are counts, not names: every role of the landlord reads them. Adding, changing and
deactivating stops, and the settings' changes, decide where the bus goes: admins and the proximity team.
Another landlord's admin gets a 404 on our stops.
"""

from tests.agency.factories import AgencySettingsFactory, StopFactory

VIEW = {"admin", "staff", "field_agent", "read_only", "other_admin"}
PLAN = {"admin", "staff", "other_admin"}


def _stop(w):
    return {"pk": w["stop"].pk}


ROUTES = {
    "agency:stop_list": (VIEW, "get", None),
    "agency:stop_create": (PLAN, "get", None),
    "agency:stop_add_sites": (PLAN, "post", None),
    "agency:stop_update": (PLAN - {"other_admin"}, "get", _stop),
    "agency:stop_deactivate": (PLAN - {"other_admin"}, "post", _stop),
    "agency:settings": (VIEW, "get", None),
}


def build(world):
    """Organisation A's agency settings (with its depot) and the world's site as a stop."""
    organisation = world["site"].organisation
    AgencySettingsFactory(organisation=organisation)
    return {"stop": StopFactory(organisation=organisation, at_site=True, site=world["site"])}

"""Access rules of the concierge's requests and settings, merged into tests/test_access.py's ROUTES.

The concierge's file names inhabitants: the staff who welcome them (admins, proximity team, field agents) read and
record; read-only users and partners get a 403, another landlord's admin a 404 on our requests. The settings
(what inhabitants read) belong to admins and the proximity team.
"""

from tests.concierge.factories import ConciergeRequestFactory

VIEW = {"admin", "staff", "field_agent"}
MANAGE = {"admin", "staff"}

ROUTES = {
    "concierge:request_list": (VIEW | {"other_admin"}, "get", None),
    "concierge:request_create": (VIEW | {"other_admin"}, "get", None),
    "concierge:request_detail": (VIEW, "get", lambda w: {"pk": w["concierge_request"].pk}),
    "concierge:request_update": (VIEW, "get", lambda w: {"pk": w["concierge_request"].pk}),
    "concierge:request_assign": (VIEW, "post", lambda w: {"pk": w["concierge_request"].pk}),
    "concierge:request_transition": (VIEW, "post", lambda w: {"pk": w["concierge_request"].pk, "action": "start"}),
    "concierge:settings": (MANAGE | {"other_admin"}, "get", None),
}


def build(world):
    """A request of the world's household, named after the person marker."""
    household = world["household"]
    request = ConciergeRequestFactory(
        organisation=household.organisation, household=household, name="Mme Marqueurnom", phone=""
    )
    return {"concierge_request": request}

"""Access rules of the concierge's activities, merged into tests/test_access.py's ROUTES.

Registrations name inhabitants: the staff who welcome them register, unregister and take attendance; proposing
and changing activities belongs to admins and the proximity team.
"""

from tests.concierge.access_requests import MANAGE, VIEW
from tests.concierge.factories import ActivityFactory, RegistrationFactory

ROUTES = {
    "concierge:activity_list": (VIEW | {"other_admin"}, "get", None),
    "concierge:activity_create": (MANAGE | {"other_admin"}, "get", None),
    "concierge:activity_detail": (VIEW, "get", lambda w: {"pk": w["activity"].pk}),
    "concierge:activity_update": (MANAGE, "get", lambda w: {"pk": w["activity"].pk}),
    "concierge:activity_attendance": (VIEW, "post", lambda w: {"pk": w["activity"].pk}),
    "concierge:registration_cancel": (VIEW, "post", lambda w: {"pk": w["registration"].pk}),
}


def build(world):
    """An activity in ten days with the world's household registered."""
    activity = ActivityFactory(organisation=world["household"].organisation)
    registration = RegistrationFactory(activity=activity, household=world["household"], name="Mme Marqueurnom")
    return {"activity": activity, "registration": registration}

"""Access rules of the agency's plan routes, merged into tests/test_access.py's ROUTES.

Plans, their schedule and coverage are counts: every role of the landlord reads them, and exports the schedule.
The list of households a plan never reaches names them: the roles that work with households. Computing, editing
and publishing plans: admins and the proximity team. Another landlord's admin gets a 404 on our plans.
"""

from proxima.agency import services
from tests.agency.factories import TourPlanFactory, VisitFactory

VIEW = {"admin", "staff", "field_agent", "read_only", "other_admin"}
PLAN = {"admin", "staff", "other_admin"}
HOUSEHOLDS = {"admin", "staff", "field_agent", "other_admin"}


def _plan(w):
    return {"pk": w["plan"].pk}


def _visit(w):
    return {"pk": w["plan"].pk, "visit_pk": w["visit"].pk}


ROUTES = {
    "agency:plan_list": (VIEW, "get", None),
    "agency:plan_create": (PLAN, "get", None),
    "agency:plan_create_manual": (PLAN, "get", None),
    "agency:plan_detail": (VIEW - {"other_admin"}, "get", _plan),
    "agency:plan_progress": (VIEW - {"other_admin"}, "get", _plan),
    "agency:plan_compute": (PLAN - {"other_admin"}, "post", _plan),
    "agency:plan_export": (VIEW - {"other_admin"}, "get", _plan),
    "agency:plan_never_reached": (HOUSEHOLDS - {"other_admin"}, "get", _plan),
    "agency:plan_publish": (PLAN - {"other_admin"}, "post", _plan),
    "agency:plan_unpublish": (PLAN - {"other_admin"}, "post", _plan),
    "agency:visit_add": (PLAN - {"other_admin"}, "post", _plan),
    "agency:visit_move": (PLAN - {"other_admin"}, "post", _visit),
    "agency:visit_remove": (PLAN - {"other_admin"}, "post", _visit),
}
# The progress fragment is for htmx; a plain request is sent to the plan's page.
ALLOWED_STATUS = {"agency:plan_progress": 302}


def build(world):
    """A computed plan of organisation A serving the world's stop once (the stop is built by access_stops)."""
    organisation = world["site"].organisation
    plan = TourPlanFactory(organisation=organisation, name="Tournée de printemps")
    services._ensure_days(plan)
    day = plan.days.order_by("date").first()
    visit = VisitFactory(day=day, stop=world["stop"], position=0)
    plan.result = services.refresh_plan(plan)
    return {"plan": plan, "visit": visit}

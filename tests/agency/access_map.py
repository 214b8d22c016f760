"""Access rules of the agency's map route, merged into tests/test_access.py's ROUTES.

The map counts households per site and names none: every landlord role reads it (``can_view_agency``).
Another landlord's admin gets a 404 on our plans.
"""

from tests.agency.factories import StopFactory, TourDayFactory, TourPlanFactory, VisitFactory

READERS = {"admin", "staff", "field_agent", "read_only"}

ROUTES = {
    "agency:plan_map": (READERS, "get", lambda w: {"pk": w["map_plan"].pk}),
}


def build(world):
    """A computed plan with one day at the world's site, whose household is reached."""
    site = world["site"]
    plan = TourPlanFactory(
        organisation=site.organisation,
        result={"reached_household_ids": [world["household"].pk], "never_reached_household_ids": []},
    )
    VisitFactory(day=TourDayFactory(plan=plan), stop=StopFactory(organisation=site.organisation))
    return {"map_plan": plan}

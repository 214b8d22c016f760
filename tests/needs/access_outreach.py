"""Access rules of the needs app's outreach routes, merged into tests/test_access.py's ROUTES.

The outreach list names households: the landlord's staff and field agents (their own sites),
never read-only users or partners. Settings and agents' sites: admins and the proximity team.
"""

OUTREACH = {"admin", "staff", "field_agent", "other_admin"}
MANAGE = {"admin", "staff", "other_admin"}

ROUTES = {
    "needs:outreach_list": (OUTREACH, "get", None),
    "needs:outreach_print": (OUTREACH, "get", None),
    "needs:outreach_contact": (OUTREACH - {"other_admin"}, "get", lambda w: {"pk": w["household"].pk}),
    "needs:outreach_settings": (MANAGE, "get", None),
    "needs:outreach_agents": (MANAGE, "post", None),
}


def build(world):
    """Objects these routes need, added to the access test's world of organisation A."""
    return {}

"""Access rule of a household's interaction history, merged into tests/test_access.py's ROUTES.

The whole history of a household is its record: the staff who act on households (field agents: their own
sites' households only), never read-only users or partners; another landlord's admin gets a 404.
"""

ROUTES = {
    "concierge:household_history": (
        {"admin", "staff", "field_agent"},
        "get",
        lambda w: {"pk": w["household"].pk},
    ),
}


def build(world):
    return {}

"""Access rules of the needs app's outreach routes, merged into tests/test_access.py's ROUTES."""

ROUTES = {}


def build(world):
    """Objects these routes need, added to the access test's world of organisation A."""
    return {}

"""Access rules of the needs-versus-offer routes, merged into tests/test_access.py's ROUTES.

The gaps are counts per territory: those who read the needs (admins, staff, read-only users). The households
behind a count are named: admins and staff only. Another landlord's admin reads its own gaps, and gets a 404 on
our sites.
"""

READERS = {"admin", "staff", "read_only", "other_admin"}

ROUTES = {
    "gaps:list": (READERS, "get", None),
    "gaps:households": (
        {"admin", "staff"},
        "get",
        lambda w: {"level": "site", "key": str(w["site"].pk), "need": "isolation"},
    ),
}


def build(world):
    return {}
